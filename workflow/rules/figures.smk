# Figures and report: the paper figures (PNG and SVG), the offline explorer and the front
# page of `snakemake --report`.


# One rule per figure of the registry kmquant.figures.FIGURES (figure_{name}): the tables it
# reads, the mode it shows, its category and caption (workflow/report/{name}.rst) all come
# from its entry.
for figure in FIGURES.values():

    rule:
        name:
            f"figure_{figure.name}"
        input:
            [RESULTS.table(table) for table in figure.tables],
        output:
            report(
                RESULTS.figure(figure.name),
                caption=f"../report/{figure.caption}",
                category=figure.category,
            ),
            RESULTS.figure(figure.name, "svg"),
        log:
            RESULTS.log_of(RESULTS.figure(figure.name)),
        benchmark:
            RESULTS.benchmark_of(RESULTS.figure(figure.name))
        conda:
            ENV
        threads: 1
        params:
            name=figure.name,
            stem=lambda wc, output: Path(output[0]).with_suffix(""),
            mode=figure.mode(MODES),
            images=(
                f"--images {words(config['per_image_figures'])}"
                if figure.per_image and config["per_image_figures"]
                else ""
            ),
        shell:
            "python -m kmquant figure --figures {params.name} --out {params.stem:q}"
            " --tables {input:q} --mode {params.mode} {params.images} > {log:q} 2>&1"


rule figure_images:
    input:
        original=RESULTS.original(),
        images=expand(RESULTS.images(mode=FIGURE_MODE), impl=SHOWN, allow_missing=True),
        differences=RESULTS.differences(mode=FIGURE_MODE),
        reference=expand(RESULTS.reference(), method=REFERENCES[:1], allow_missing=True),
    output:
        report(
            RESULTS.figure("images_{image}"),
            caption="../report/images.rst",
            category=PER_IMAGE,
            subcategory="{image}",
        ),
        RESULTS.figure("images_{image}", "svg"),
    log:
        RESULTS.log_of(RESULTS.figure("images_{image}")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.figure("images_{image}"))
    conda:
        ENV
    threads: 1
    params:
        stem=lambda wc, output: Path(output[0]).with_suffix(""),
        mode=FIGURE_MODE,
        seed=FIGURE_SEED,
        ks=" ".join(map(str, KS)),
        reference=" ".join(f"--reference {method}" for method in REFERENCES[:1]),
        folder=lambda wc, input: [
            f"--reference-folder={path}" for path in input.reference
        ],
    shell:
        "python -m kmquant image-figure {params.stem:q} --image {wildcards.image}"
        " --mode {params.mode} --seed {params.seed} --k {params.ks} --original {input.original:q}"
        " --images {input.images:q} --differences {input.differences:q}"
        " {params.reference} {params.folder:q} > {log:q} 2>&1"


rule figure_palettes:
    input:
        expand(
            RESULTS.fit(mode=FIGURE_MODE, seed=FIGURE_SEED),
            impl=SHOWN,
            k=PALETTE_KS,
            allow_missing=True,
        ),
    output:
        report(
            RESULTS.figure("palettes_{image}"),
            caption="../report/palettes.rst",
            category=PER_IMAGE,
            subcategory="{image}",
        ),
        RESULTS.figure("palettes_{image}", "svg"),
    log:
        RESULTS.log_of(RESULTS.figure("palettes_{image}")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.figure("palettes_{image}"))
    conda:
        ENV
    threads: 1
    params:
        stem=lambda wc, output: Path(output[0]).with_suffix(""),
        mode=FIGURE_MODE,
        seed=FIGURE_SEED,
        ks=" ".join(map(str, PALETTE_KS)),
    shell:
        "python -m kmquant palette-figure {params.stem:q} --image {wildcards.image}"
        " --mode {params.mode} --seed {params.seed} --k {params.ks} --fits {input:q}"
        " > {log:q} 2>&1"


rule explorer:
    input:
        tables=[
            RESULTS.table(name)
            for name in ("fits", "agreement", "reference", "k_for_quality", "images")
        ],
        rate_figure=RESULTS.figure("rate_distortion"),
        fits=lambda wc: fits(),
        images=image_dirs,
        references=reference_dirs,
        originals=originals,
    output:
        RESULTS.report("explorer.html"),
    log:
        RESULTS.log_of(RESULTS.report("explorer.html")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.report("explorer.html"))
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant explorer {output:q} --tables {input.tables:q} --fits {input.fits:q}"
        " --images {input.images:q} --references {input.references:q}"
        " --originals {input.originals:q}"
        " --rate-figure {input.rate_figure:q} > {log:q} 2>&1"


rule report_description:
    input:
        fits=RESULTS.table("fits"),
        agreement=RESULTS.table("agreement"),
        environment=RESULTS.environment(),
        ranking=RESULTS.table("ranking"),
        k_for_quality=RESULTS.table("k_for_quality"),
        images=RESULTS.table("images"),
        agreement_over=RESULTS.table("agreement_over_images"),
        paired=RESULTS.table("paired"),
        reference=RESULTS.table("reference"),
        conversions=RESULTS.table("conversions"),
    output:
        RESULTS.report("workflow.rst"),
    log:
        RESULTS.log_of(RESULTS.report("workflow.rst")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.report("workflow.rst"))
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    params:
        max_iter=config["max_iter"],
        fit_max_pixels=config["fit_max_pixels"],
        fit_sample_seed=config["fit_sample_seed"],
        per_image=(
            f"--per-image-figures {words(config['per_image_figures'])}"
            if config["per_image_figures"]
            else ""
        ),
    shell:
        "python -m kmquant report-description {input.fits:q} {input.agreement:q}"
        " {input.environment:q} {output:q} --max-iter {params.max_iter}"
        " --fit-max-pixels {params.fit_max_pixels} --fit-sample-seed {params.fit_sample_seed}"
        " --ranking {input.ranking:q} --k-for-quality {input.k_for_quality:q}"
        " --images {input.images:q} --agreement-over {input.agreement_over:q}"
        " --paired {input.paired:q} --reference {input.reference:q}"
        " --conversions {input.conversions:q} {params.per_image}"
        " > {log:q} 2>&1"
