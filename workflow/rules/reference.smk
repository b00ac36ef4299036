# Reference quantizers: the tools people use (pngquant, libimagequant, Pillow's methods) on
# the same loaded pixels as the fits, every K of the grid, scored by the same code from the
# PNGs they wrote; one job per image runs every tool. A tool that is missing or fails gives
# rows with its status and message.


# A study of no reference quantizer has no reference job (a rule needs an output).
if REFERENCES:

    rule reference:
        input:
            RESULTS.pixels(),
        output:
            **{
                f"records_{method}": directory(RESULTS.reference(method))
                for method in REFERENCES
            },
            **{
                f"seconds_{method}": RESULTS.reference_seconds(method)
                for method in REFERENCES
            },
        log:
            RESULTS.log_of(RESULTS.reference_batch()),
        benchmark:
            RESULTS.benchmark_of(RESULTS.reference_batch())
        conda:
            ENV
        threads: 1
        params:
            tools=lambda wc, output: [
                word
                for method in REFERENCES
                for word in (
                    "--tool",
                    method,
                    output[f"records_{method}"],
                    output[f"seconds_{method}"],
                )
            ],
            ks=words(KS),
        shell:
            "python -m kmquant reference {input:q} {params.tools:q} --image {wildcards.image}"
            " --k {params.ks} > {log:q} 2>&1"


rule reference_table:
    input:
        references=reference_dirs,
        originals=originals,
    output:
        report(
            RESULTS.table("reference"),
            caption="../report/reference_table.rst",
            category=QUALITY,
        ),
    log:
        RESULTS.log_of(RESULTS.table("reference")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("reference"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant reference-table {output:q} {input.references:q}"
        " --originals {input.originals:q} > {log:q} 2>&1"


rule ranking_table:
    input:
        fits=RESULTS.table("fits"),
        references=RESULTS.table("reference"),
    output:
        report(
            RESULTS.table("ranking"),
            caption="../report/ranking_table.rst",
            category=QUALITY,
        ),
    log:
        RESULTS.log_of(RESULTS.table("ranking")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("ranking"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant ranking-table {input.fits:q} {input.references:q} {output:q}"
        " > {log:q} 2>&1"


# Statistics over the study's images: each method's quality, every pair of methods image by
# image, and the agreement of every pair of implementations.
rule over_images:
    input:
        fits=RESULTS.table("fits"),
        references=RESULTS.table("reference"),
        agreement=RESULTS.table("agreement"),
    output:
        over_images=report(
            RESULTS.table("over_images"),
            caption="../report/over_images_table.rst",
            category=TABLES,
        ),
        paired=report(
            RESULTS.table("paired"),
            caption="../report/paired_table.rst",
            category=TABLES,
        ),
        agreement=report(
            RESULTS.table("agreement_over_images"),
            caption="../report/agreement_over_images_table.rst",
            category=TABLES,
        ),
    log:
        RESULTS.log_of(RESULTS.table("over_images")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("over_images"))
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant over-images {input.fits:q} {input.references:q}"
        " {input.agreement:q} --out {output.over_images:q} {output.paired:q}"
        " {output.agreement:q} > {log:q} 2>&1"


rule rate_table:
    input:
        fits=RESULTS.table("fits"),
        references=RESULTS.table("reference"),
        images=RESULTS.table("images"),
    output:
        report(
            RESULTS.table("rate_distortion"),
            caption="../report/rate_table.rst",
            category=RATE,
        ),
    log:
        RESULTS.log_of(RESULTS.table("rate_distortion")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("rate_distortion"))
    conda:
        ENV
    threads: 1
    params:
        mode=RATE_MODE,
    shell:
        "python -m kmquant rate-table {input.fits:q} {input.references:q} {input.images:q}"
        " {output:q} --mode {params.mode} > {log:q} 2>&1"


rule k_for_quality_table:
    input:
        RESULTS.table("rate_distortion"),
    output:
        report(
            RESULTS.table("k_for_quality"),
            caption="../report/k_for_quality_table.rst",
            category=RATE,
        ),
    log:
        RESULTS.log_of(RESULTS.table("k_for_quality")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("k_for_quality"))
    conda:
        ENV
    threads: 1
    params:
        targets=json.dumps(config["quality_targets"], sort_keys=True),
    shell:
        "python -m kmquant k-for-quality {input:q} {output:q} --targets {params.targets:q}"
        " > {log:q} 2>&1"
