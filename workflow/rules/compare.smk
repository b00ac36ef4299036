# Compare and tabulate: every Python/R pair, their difference images, the convergence
# traces of stepped matched runs, and the tidy tables of fits, pairs, seeds and timings.


rule agreement:
    input:
        python="results/fits/python/{mode}/{image}/k{k}_s{seed}.npz",
        r="results/fits/r/{mode}/{image}/k{k}_s{seed}.npz",
        pixels="results/pixels/{image}.npz",
        init=shared_init,
    output:
        "results/agreement/{mode}/{image}/k{k}_s{seed}.json",
    log:
        "results/logs/agreement/{mode}/{image}/k{k}_s{seed}.log",
    benchmark:
        "results/benchmarks/agreement/{mode}/{image}/k{k}_s{seed}.tsv"
    conda:
        ENV
    threads: 1
    params:
        init=lambda wc, input: (
            f"--init '{input.init}' --pixels '{input.pixels}'" if input.init else ""
        ),
    shell:
        "python -m kmquant agree {input.python:q} {input.r:q} {output:q} {params.init} > {log:q} 2>&1"


rule differences:
    input:
        python="results/images/python/{mode}/{image}",
        r="results/images/r/{mode}/{image}",
    output:
        directory("results/images/difference/{mode}/{image}"),
    log:
        "results/logs/images/difference/{mode}/{image}.log",
    benchmark:
        "results/benchmarks/images/difference/{mode}/{image}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant differences {input.python:q} {input.r:q} {output:q} > {log:q} 2>&1"


rule convergence:
    input:
        pixels="results/pixels/{image}.npz",
        init="results/init/matched/{image}/k{k}_s{seed}.csv",
        python="results/fits/python/matched/{image}/k{k}_s{seed}.npz",
        r="results/fits/r/matched/{image}/k{k}_s{seed}.npz",
    output:
        "results/convergence/{image}/k{k}_s{seed}.npz",
    log:
        "results/logs/convergence/{image}/k{k}_s{seed}.log",
    benchmark:
        "results/benchmarks/convergence/{image}/k{k}_s{seed}.tsv"
    conda:
        ENV
    threads: 1
    params:
        max_iter=config["max_iter"],
    shell:
        "python -m kmquant converge {input.pixels:q} {input.init:q} {input.python:q}"
        " {input.r:q} {output:q} --max-iter {params.max_iter} > {log:q} 2>&1"


rule fits_table:
    input:
        fits=lambda wc: fits(),
        images=image_dirs,
        originals=originals,
    output:
        report(
            "results/tables/fits.csv",
            caption="../report/fits_table.rst",
            category=TABLES,
        ),
    log:
        "results/logs/tables/fits.log",
    benchmark:
        "results/benchmarks/tables/fits.tsv"
    conda:
        ENV
    threads: 1
    params:
        images=lambda wc, output: Path(output[0]).parent.parent / "images",
    shell:
        "python -m kmquant fits-table --images {params.images:q} {output:q} {input.fits:q}"
        " > {log:q} 2>&1"


rule native_summary:
    input:
        "results/tables/fits.csv",
    output:
        report(
            "results/tables/native_summary.csv",
            caption="../report/native_summary.rst",
            category=TABLES,
        ),
    log:
        "results/logs/tables/native_summary.log",
    benchmark:
        "results/benchmarks/tables/native_summary.tsv"
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
            "results/tables/convergence.csv",
            caption="../report/convergence_table.rst",
            category=CONVERGENCE,
        ),
        centres=report(
            "results/tables/convergence_centres.csv",
            caption="../report/convergence_centres.rst",
            category=CONVERGENCE,
        ),
        checks=report(
            "results/tables/convergence_check.csv",
            caption="../report/convergence_check.rst",
            category=CONVERGENCE,
        ),
    log:
        "results/logs/tables/convergence.log",
    benchmark:
        "results/benchmarks/tables/convergence.tsv"
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
            "results/tables/agreement.csv",
            caption="../report/agreement_table.rst",
            category=AGREEMENT,
        ),
    log:
        "results/logs/tables/agreement.log",
    benchmark:
        "results/benchmarks/tables/agreement.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant agreement-table {output:q} {input:q} > {log:q} 2>&1"


rule timings_table:
    input:
        fits=lambda wc: fits(),
        benchmarks=lambda wc: fits(pattern=f"results/benchmarks/fits/{FIT}.tsv"),
        reference_seconds=lambda wc: expand(
            "results/timings/reference/{method}/{image}.json",
            method=REFERENCES,
            image=accepted(),
        ),
    output:
        report(
            "results/tables/timings.csv",
            caption="../report/timings_table.rst",
            category=SPEED,
        ),
    log:
        "results/logs/tables/timings.log",
    benchmark:
        "results/benchmarks/tables/timings.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant timings-table {output:q} --fits {input.fits:q}"
        " --benchmarks {input.benchmarks:q} --reference-seconds {input.reference_seconds:q}"
        " > {log:q} 2>&1"
