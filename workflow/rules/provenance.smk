# Provenance: the versions a run used and the hashes of every reproducible result.


rule environment:
    output:
        report(
            RESULTS.environment(),
            caption="../report/environment.rst",
            category=TABLES,
        ),
    log:
        RESULTS.log_of(RESULTS.environment()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.environment())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant environment {output:q} > {log:q} 2>&1"


rule manifest:
    input:
        RESULTS.table("fits"),
        RESULTS.table("agreement"),
        RESULTS.table("native_summary"),
        RESULTS.table("reference"),
        RESULTS.table("ranking"),
        RESULTS.table("convergence"),
        RESULTS.table("convergence_centres"),
        RESULTS.table("convergence_check"),
        RESULTS.table("images"),
        RESULTS.table("rejected_images"),
        image_dirs,
        reference_dirs,
        difference_dirs,
        originals,
        pairs,
        inits,
    output:
        RESULTS.manifest(),
    log:
        RESULTS.log_of(RESULTS.manifest()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.manifest())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant manifest {output:q} {input:q} > {log:q} 2>&1"
