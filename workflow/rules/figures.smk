# Figures and report: the paper figures (PNG and SVG), the offline explorer and the front
# page of `snakemake --report`.


rule figure_metrics:
    input:
        "results/tables/fits.csv",
        "results/tables/reference.csv",
    output:
        report(
            "results/figures/elbow.png",
            caption="../report/elbow.rst",
            category=QUALITY,
        ),
        "results/figures/elbow.svg",
        report(
            "results/figures/quality.png",
            caption="../report/quality.rst",
            category=QUALITY,
        ),
        "results/figures/quality.svg",
        report(
            "results/figures/storage.png",
            caption="../report/storage.rst",
            category=QUALITY,
        ),
        "results/figures/storage.svg",
    log:
        "results/logs/figures/metrics.log",
    benchmark:
        "results/benchmarks/figures/metrics.tsv"
    conda:
        ENV
    threads: 1
    params:
        folder=lambda wc, output: Path(output[0]).parent,
    shell:
        "python -m kmquant figure metrics {params.folder:q} {input:q} > {log:q} 2>&1"


rule figure_from_table:
    input:
        lambda wc: {
            "agreement": ["results/tables/agreement.csv"],
            "timing": ["results/tables/timings.csv"],
            "convergence": [
                "results/tables/convergence.csv",
                "results/tables/convergence_centres.csv",
            ],
        }[wc.name],
    output:
        report(
            "results/figures/{name}.png",
            caption="../report/figure_from_table.rst",
            category=lambda wc: {
                "agreement": AGREEMENT,
                "timing": SPEED,
                "convergence": CONVERGENCE,
            }[wc.name],
        ),
        "results/figures/{name}.svg",
    log:
        "results/logs/figures/{name}.log",
    benchmark:
        "results/benchmarks/figures/{name}.tsv"
    wildcard_constraints:
        name="agreement|timing|convergence",
    conda:
        ENV
    threads: 1
    params:
        stem=lambda wc, output: Path(output[0]).with_suffix(""),
    shell:
        "python -m kmquant figure {wildcards.name} {params.stem:q} {input:q} > {log:q} 2>&1"


rule figure_images:
    input:
        original="results/images/original/{image}.png",
        images=expand(
            "results/images/{impl}/{mode}/{{image}}", impl=IMPLS, mode=[FIGURE_MODE]
        ),
        reference=expand("results/reference/{method}/{{image}}", method=REFERENCES[:1]),
    output:
        report(
            "results/figures/images_{image}.png",
            caption="../report/images.rst",
            category=PER_IMAGE,
            subcategory="{image}",
        ),
        "results/figures/images_{image}.svg",
    log:
        "results/logs/figures/images_{image}.log",
    benchmark:
        "results/benchmarks/figures/images_{image}.tsv"
    conda:
        ENV
    threads: 1
    params:
        stem=lambda wc, output: Path(output[0]).with_suffix(""),
        images=lambda wc, input: Path(input.images[0]).parents[2],
        mode=FIGURE_MODE,
        seed=FIGURE_SEED,
        ks=" ".join(map(str, KS)),
        reference=lambda wc, input: " ".join(
            f"--reference {shlex.quote(path)}" for path in input.reference
        ),
    shell:
        "python -m kmquant figure images {params.stem:q} {input.original:q} {params.images:q}"
        " --image {wildcards.image} --mode {params.mode} --seed {params.seed}"
        " --k {params.ks} {params.reference} > {log:q} 2>&1"


rule figure_palettes:
    input:
        expand(
            "results/fits/{impl}/{mode}/{{image}}/k{k}_s{seed}.npz",
            impl=IMPLS,
            mode=[FIGURE_MODE],
            k=PALETTE_KS,
            seed=[FIGURE_SEED],
        ),
    output:
        report(
            "results/figures/palettes_{image}.png",
            caption="../report/palettes.rst",
            category=PER_IMAGE,
            subcategory="{image}",
        ),
        "results/figures/palettes_{image}.svg",
    log:
        "results/logs/figures/palettes_{image}.log",
    benchmark:
        "results/benchmarks/figures/palettes_{image}.tsv"
    conda:
        ENV
    threads: 1
    params:
        stem=lambda wc, output: Path(output[0]).with_suffix(""),
        fits=lambda wc, input: Path(input[0]).parents[3],
        mode=FIGURE_MODE,
        seed=FIGURE_SEED,
        ks=" ".join(map(str, PALETTE_KS)),
    shell:
        "python -m kmquant figure palettes {params.stem:q} {params.fits:q}"
        " --image {wildcards.image} --mode {params.mode} --seed {params.seed}"
        " --k {params.ks} > {log:q} 2>&1"


rule explorer:
    input:
        fits_table="results/tables/fits.csv",
        agreement_table="results/tables/agreement.csv",
        reference_table="results/tables/reference.csv",
        fits=lambda wc: fits(),
        images=image_dirs,
        references=reference_dirs,
        differences=difference_dirs,
        originals=originals,
    output:
        "results/report/explorer.html",
    log:
        "results/logs/report/explorer.log",
    benchmark:
        "results/benchmarks/report/explorer.tsv"
    conda:
        ENV
    threads: 1
    params:
        results=lambda wc, input: Path(input.fits_table).parents[1],
    shell:
        "python -m kmquant explorer {params.results:q} {output:q} > {log:q} 2>&1"


rule report_description:
    input:
        fits="results/tables/fits.csv",
        agreement="results/tables/agreement.csv",
        environment="results/environment.json",
        ranking="results/tables/ranking.csv",
    output:
        "results/report/workflow.rst",
    log:
        "results/logs/report/workflow.log",
    benchmark:
        "results/benchmarks/report/workflow.tsv"
    conda:
        ENV
    threads: 1
    params:
        max_iter=config["max_iter"],
        fit_max_pixels=config["fit_max_pixels"],
        fit_sample_seed=config["fit_sample_seed"],
    shell:
        "python -m kmquant report-description {input.fits:q} {input.agreement:q}"
        " {input.environment:q} {output:q} --max-iter {params.max_iter}"
        " --fit-max-pixels {params.fit_max_pixels} --fit-sample-seed {params.fit_sample_seed}"
        " --ranking {input.ranking:q} > {log:q} 2>&1"
