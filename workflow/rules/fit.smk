# Fit: the shared initial centres of the matched and tied modes, one K-means fit per
# (language, mode, image, K, seed), and the indexed PNGs the fits write.


rule initial_centres:
    input:
        "results/pixels/{image}.npz",
    output:
        "results/init/{mode}/{image}/k{k}_s{seed}.csv",
    log:
        "results/logs/init/{mode}/{image}/k{k}_s{seed}.log",
    benchmark:
        "results/benchmarks/init/{mode}/{image}/k{k}_s{seed}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant init {input:q} {output:q} --mode {wildcards.mode}"
        " --k {wildcards.k} --seed {wildcards.seed} > {log:q} 2>&1"


rule fit:
    input:
        pixels="results/pixels/{image}.npz",
        init=shared_init,
    output:
        f"results/fits/{FIT}.npz",
    log:
        f"results/logs/fits/{FIT}.log",
    benchmark:
        f"results/benchmarks/fits/{FIT}.tsv"
    conda:
        ENV
    threads: 1
    params:
        max_iter=config["max_iter"],
        init=lambda wc, input: f"--init '{input.init}'" if input.init else "",
    shell:
        "python -m kmquant fit {input.pixels:q} {output:q} --impl {wildcards.impl}"
        " --mode {wildcards.mode} --image {wildcards.image} --k {wildcards.k}"
        " --seed {wildcards.seed} --max-iter {params.max_iter} {params.init}"
        " --threads {threads} > {log:q} 2>&1"


rule images:
    input:
        pixels="results/pixels/{image}.npz",
        fits=lambda wc: fits([wc.impl], [wc.mode], [wc.image]),
    output:
        directory("results/images/{impl}/{mode}/{image}"),
    log:
        "results/logs/images/{impl}/{mode}/{image}.log",
    benchmark:
        "results/benchmarks/images/{impl}/{mode}/{image}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant images {input.pixels:q} {output:q} {input.fits:q} > {log:q} 2>&1"
