# Compare and tabulate: every pair of implementations, the difference images and convergence
# traces of the headline pair (Python and R), and the tidy tables of fits, pairs, seeds and
# timings. One job per image compares the pairs of every K, mode and seed there, so that the
# backends that step pairs apart are imported once per image.


rule agreement:
    input:
        **shared_starts(PAIR_RUNS),
        fits=task_fits,
        pixels=RESULTS.pixels(),
    output:
        **run_files(RESULTS.agreement, PAIR_RUNS),
    log:
        RESULTS.log_of(RESULTS.agreement_batch()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.agreement_batch())
    conda:
        ENV
    threads: THREADS
    params:
        runs=job_runs(PAIR_RUNS),
        max_iter=config["max_iter"],
    shell:
        "python -m kmquant agree --fits {input.fits:q} --runs {params.runs:q}"
        " --pixels {input.pixels:q} --max-iter {params.max_iter} > {log:q} 2>&1"


rule differences:
    input:
        expand(RESULTS.images(), impl=SHOWN, allow_missing=True),
    output:
        directory(RESULTS.differences()),
    log:
        RESULTS.log_of(RESULTS.differences()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.differences())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant differences {input:q} {output:q} > {log:q} 2>&1"


rule convergence:
    input:
        pixels=RESULTS.pixels(),
        init=RESULTS.init(TRACED_MODE),
        fits=expand(RESULTS.fit(mode=TRACED_MODE), impl=SHOWN, allow_missing=True),
    output:
        RESULTS.convergence(),
    log:
        RESULTS.log_of(RESULTS.convergence()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.convergence())
    conda:
        ENV
    threads: THREADS
    params:
        max_iter=config["max_iter"],
    shell:
        "python -m kmquant converge {input.pixels:q} {input.init:q} {output:q}"
        " --fits {input.fits:q} --max-iter {params.max_iter} > {log:q} 2>&1"


rule fits_table:
    input:
        fits=lambda wc: fits(),
        images=image_dirs,
        originals=originals,
    output:
        report(
            RESULTS.table("fits"),
            caption="../report/fits_table.rst",
            category=TABLES,
        ),
    log:
        RESULTS.log_of(RESULTS.table("fits")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("fits"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant fits-table {output:q} --fits {input.fits:q}"
        " --images {input.images:q} --originals {input.originals:q} > {log:q} 2>&1"


rule native_summary:
    input:
        RESULTS.table("fits"),
    output:
        report(
            RESULTS.table("native_summary"),
            caption="../report/native_summary.rst",
            category=TABLES,
        ),
    log:
        RESULTS.log_of(RESULTS.table("native_summary")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("native_summary"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant native-summary {input:q} {output:q} > {log:q} 2>&1"


rule convergence_tables:
    input:
        traces,
    output:
        iterations=report(
            RESULTS.table("convergence"),
            caption="../report/convergence_table.rst",
            category=CONVERGENCE,
        ),
        centres=report(
            RESULTS.table("convergence_centres"),
            caption="../report/convergence_centres.rst",
            category=CONVERGENCE,
        ),
        checks=report(
            RESULTS.table("convergence_check"),
            caption="../report/convergence_check.rst",
            category=CONVERGENCE,
        ),
    log:
        RESULTS.log_of(RESULTS.table("convergence")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("convergence"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant convergence-tables {output.iterations:q} {output.centres:q}"
        " {output.checks:q} {input:q} > {log:q} 2>&1"


rule agreement_table:
    input:
        pairs,
    output:
        report(
            RESULTS.table("agreement"),
            caption="../report/agreement_table.rst",
            category=AGREEMENT,
        ),
    log:
        RESULTS.log_of(RESULTS.table("agreement")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("agreement"))
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant agreement-table {output:q} {input:q} > {log:q} 2>&1"


# Each language's own conversion of sRGB to CIELAB (kmquant.conversions) on every image's
# distinct colours: one job, so that R and colour-science start once.
rule conversions_table:
    input:
        expand(RESULTS.pixels(), image=IMAGES),
    output:
        report(
            RESULTS.table("conversions"),
            caption="../report/conversions_table.rst",
            category=AGREEMENT,
        ),
    log:
        RESULTS.log_of(RESULTS.table("conversions")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("conversions"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant conversions {output:q} {input:q} > {log:q} 2>&1"


rule timings_table:
    input:
        fits=lambda wc: fits(),
        # Each fit's job's time and memory.
        benchmarks=lambda wc: fit_jobs(RESULTS.benchmark_of(RESULTS.fit_batch())),
        reference_seconds=lambda wc: expand(
            RESULTS.reference_seconds(),
            method=REFERENCES,
            image=accepted(),
        ),
    output:
        report(
            RESULTS.table("timings"),
            caption="../report/timings_table.rst",
            category=SPEED,
        ),
    log:
        RESULTS.log_of(RESULTS.table("timings")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("timings"))
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant timings-table {output:q} --fits {input.fits:q}"
        " --benchmarks {input.benchmarks:q} --reference-seconds {input.reference_seconds:q}"
        " > {log:q} 2>&1"
