# Provenance: the versions a run used and the hashes of every reproducible result.


rule environment:
    output:
        report(
            "results/environment.json",
            caption="../report/environment.rst",
            category=TABLES,
        ),
    log:
        "results/logs/environment.log",
    benchmark:
        "results/benchmarks/environment.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant environment {output:q} > {log:q} 2>&1"


rule manifest:
    input:
        "results/tables/fits.csv",
        "results/tables/agreement.csv",
        "results/tables/native_summary.csv",
        "results/tables/reference.csv",
        "results/tables/ranking.csv",
        "results/tables/convergence.csv",
        "results/tables/convergence_centres.csv",
        "results/tables/convergence_check.csv",
        "results/tables/images.csv",
        "results/tables/rejected_images.csv",
        image_dirs,
        reference_dirs,
        difference_dirs,
        originals,
        pairs,
        inits,
    output:
        "results/manifest.sha256",
    log:
        "results/logs/manifest.log",
    benchmark:
        "results/benchmarks/manifest.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant manifest {output:q} {input:q} > {log:q} 2>&1"
