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
        # every reproducible table, PNG and record (not timings, logs or figures)
        RESULTS.tables(timed=False),
        image_dirs,
        reproducible_reference_dirs,
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
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant manifest {output:q} {input:q} > {log:q} 2>&1"
