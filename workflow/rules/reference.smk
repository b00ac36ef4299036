# Reference quantizers: the tools people use (pngquant, libimagequant, Pillow's methods) on
# the same loaded pixels as the fits, every K of the grid, scored by the same code from the
# PNGs they wrote. A tool that is missing or fails gives rows with its status and message.


rule reference:
    input:
        "results/pixels/{image}.npz",
    output:
        records=directory("results/reference/{method}/{image}"),
        seconds="results/timings/reference/{method}/{image}.json",
    log:
        "results/logs/reference/{method}/{image}.log",
    benchmark:
        "results/benchmarks/reference/{method}/{image}.tsv"
    conda:
        ENV
    threads: 1
    params:
        ks=" ".join(map(str, KS)),
    shell:
        "python -m kmquant reference {input:q} {output.records:q} --method {wildcards.method}"
        " --image {wildcards.image} --k {params.ks} --seconds {output.seconds:q}"
        " > {log:q} 2>&1"


rule reference_table:
    input:
        references=reference_dirs,
        originals=originals,
    output:
        report(
            "results/tables/reference.csv",
            caption="../report/reference_table.rst",
            category=QUALITY,
        ),
    log:
        "results/logs/tables/reference.log",
    benchmark:
        "results/benchmarks/tables/reference.tsv"
    conda:
        ENV
    threads: 1
    params:
        originals="results/images/original",
    shell:
        "python -m kmquant reference-table {output:q} {input.references:q}"
        " --originals {params.originals:q} > {log:q} 2>&1"


rule ranking_table:
    input:
        fits="results/tables/fits.csv",
        references="results/tables/reference.csv",
    output:
        report(
            "results/tables/ranking.csv",
            caption="../report/ranking_table.rst",
            category=QUALITY,
        ),
    log:
        "results/logs/tables/ranking.log",
    benchmark:
        "results/benchmarks/tables/ranking.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant ranking-table {input.fits:q} {input.references:q} {output:q}"
        " > {log:q} 2>&1"
