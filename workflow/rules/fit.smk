# Fit: the shared initial centres of the matched and tied modes, one K-means fit per
# (language, mode, image, K, seed), and the indexed PNGs the fits write.


rule initial_centres:
    input:
        RESULTS.pixels(),
    output:
        RESULTS.init(),
    log:
        RESULTS.log_of(RESULTS.init()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.init())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant init {input:q} {output:q} --mode {wildcards.mode}"
        " --k {wildcards.k} --seed {wildcards.seed} > {log:q} 2>&1"


rule fit:
    input:
        pixels=RESULTS.pixels(),
        init=shared_init,
    output:
        RESULTS.fit(),
    log:
        RESULTS.log_of(RESULTS.fit()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.fit())
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
        pixels=RESULTS.pixels(),
        fits=lambda wc: fits([wc.impl], [wc.mode], [wc.image]),
    output:
        directory(RESULTS.images()),
    log:
        RESULTS.log_of(RESULTS.images()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.images())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant images {input.pixels:q} {output:q} {input.fits:q} > {log:q} 2>&1"
