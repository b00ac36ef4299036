# K-means colour quantization in Python (scikit-learn) and R (stats::kmeans), cross-validated.
# Read top to bottom: load each image, draw the shared initial centres, fit in both languages,
# write the indexed PNGs, compare every Python/R pair, and gather the result tables, figures,
# the interactive explorer and the front page of `snakemake --report results/report.html`.
# Each rule calls one subcommand of the kmquant package (python/kmquant/cli.py).

import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from kmquant.modes import MODES as MODE_REGISTRY
from kmquant.modes import figure_mode, mode_seeds
from kmquant.pixels import is_rejected
from kmquant.study import ConfigError, discover_images, job_environment

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/config.schema.yaml")


# Written by the run (rule report_description) from its own tables and versions.
report: os.path.abspath("results/report/workflow.rst")


try:
    IMAGES = discover_images(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None

# Jobs run `python -m kmquant` from this checkout: with the Python that runs snakemake (the
# project's .venv) or, under --sdm conda, with the rules' conda environment.
os.environ.update(job_environment(sys.executable, workflow.basedir, os.environ))
ENV = "workflow/envs/kmquant.yaml"

IMPLS = ["python", "r"]
MODES = config["modes"]
KS = config["k"]
FIT = "{impl}/{mode}/{image}/k{k}_s{seed}"
# Modes that start both languages from one file of initial centres (matched and tied).
SHARED_START = [mode for mode in MODES if MODE_REGISTRY[mode].shared_start]
# The image grids and palettes show one mode and seed; palettes up to PALETTE_MAX_K colours.
FIGURE_MODE = figure_mode(MODES)
FIGURE_SEED = mode_seeds(FIGURE_MODE, config)[0]
PALETTE_KS = [k for k in KS if k <= config["palette_max_k"]]
# Report categories; every figure and table has a caption in workflow/report/.
QUALITY = "1. Distortion, quality and storage"
AGREEMENT = "2. Agreement of Python and R"
PER_IMAGE = "3. Images and palettes"
CONVERGENCE = "4. Convergence"
SPEED = "5. Speed"
TABLES = "6. Tables and provenance"


# Jobs that take a second or two run where snakemake runs, not as cluster jobs.
localrules:
    all,
    rejected_table,
    agreement_table,
    timings_table,
    manifest,
    report_description,


wildcard_constraints:
    image=r"[A-Za-z0-9_.-]+",
    impl="python|r",
    mode="|".join(MODE_REGISTRY),
    k=r"\d+",
    seed=r"\d+",


def accepted():
    """The images whose pixels loaded, known once the `pixels` checkpoint ran for each;
    rejected images are listed in results/tables/rejected_images.csv instead."""
    return [
        image
        for image in IMAGES
        if not is_rejected(checkpoints.pixels.get(image=image).output[0])
    ]


def per_mode(pattern, modes=MODES, **wildcards):
    """`pattern` expanded for every mode with that mode's seeds (the tied experiment may run
    fewer), K and the given wildcards."""
    return [
        path
        for mode in modes
        for path in expand(
            pattern, mode=mode, k=KS, seed=mode_seeds(mode, config), **wildcards
        )
    ]


def fits(impls=IMPLS, modes=MODES, images=None, pattern=f"results/fits/{FIT}.npz"):
    images = accepted() if images is None else images
    return per_mode(pattern, modes, impl=impls, image=images)


def image_dirs(*_):
    return expand(
        "results/images/{impl}/{mode}/{image}", impl=IMPLS, mode=MODES, image=accepted()
    )


def difference_dirs(*_):
    return expand(
        "results/images/difference/{mode}/{image}", mode=MODES, image=accepted()
    )


def originals(*_):
    return expand("results/images/original/{image}.png", image=accepted())


def shared_init(wc):
    """Fits of a shared-start mode (and their comparison) read its initial centres."""
    return (
        f"results/init/{wc.mode}/{wc.image}/k{wc.k}_s{wc.seed}.csv"
        if MODE_REGISTRY[wc.mode].shared_start
        else []
    )


def inits(*_):
    return per_mode(
        "results/init/{mode}/{image}/k{k}_s{seed}.csv", SHARED_START, image=accepted()
    )


def pairs(*_):
    return per_mode(
        "results/agreement/{mode}/{image}/k{k}_s{seed}.json", image=accepted()
    )


def traces(*_):
    """Matched runs that are also stepped one iteration at a time."""
    return expand(
        "results/convergence/{image}/k{k}_s{seed}.npz",
        image=accepted() if "matched" in MODES else [],
        k=config["convergence_k"],
        seed=config["convergence_seeds"],
    )


def figures(*_):
    names = ["elbow", "quality", "storage", "agreement", "timing"]
    names += ["convergence"] if traces() else []
    # Palette figures only where some K is small enough to draw (K <= palette_max_k).
    kinds = ["images", "palettes"] if PALETTE_KS else ["images"]
    names += [f"{kind}_{image}" for kind in kinds for image in accepted()]
    return expand("results/figures/{name}.{ext}", name=names, ext=["png", "svg"])


rule all:
    input:
        "results/tables/fits.csv",
        "results/tables/agreement.csv",
        "results/tables/timings.csv",
        "results/tables/native_summary.csv",
        "results/tables/convergence.csv",
        "results/tables/rejected_images.csv",
        "results/environment.json",
        "results/manifest.sha256",
        figures,
        image_dirs,
        "results/report/explorer.html",
        "results/report/workflow.rst",


checkpoint pixels:
    input:
        lambda wc: IMAGES[wc.image],
    output:
        "results/pixels/{image}.npz",
    log:
        "results/logs/pixels/{image}.log",
    benchmark:
        "results/benchmarks/pixels/{image}.tsv"
    conda:
        ENV
    threads: 1
    params:
        fit_max_pixels=config["fit_max_pixels"],
        sample_seed=config["fit_sample_seed"],
        background=config["background"],
    shell:
        "python -m kmquant pixels {input:q} {output:q} --fit-max-pixels {params.fit_max_pixels}"
        " --sample-seed {params.sample_seed} --background {params.background:q} > {log:q} 2>&1"


rule initial_centres:
    input:
        "results/pixels/{image}.npz",
    output:
        "results/init/{mode}/{image}/k{k}_s{seed}.csv",
    log:
        "results/logs/init/{mode}/{image}/k{k}_s{seed}.log",
    benchmark:
        "results/benchmarks/init/{mode}/{image}/k{k}_s{seed}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant init {input:q} {output:q} --mode {wildcards.mode}"
        " --k {wildcards.k} --seed {wildcards.seed} > {log:q} 2>&1"


rule fit:
    input:
        pixels="results/pixels/{image}.npz",
        init=shared_init,
    output:
        f"results/fits/{FIT}.npz",
    log:
        f"results/logs/fits/{FIT}.log",
    benchmark:
        f"results/benchmarks/fits/{FIT}.tsv"
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
        pixels="results/pixels/{image}.npz",
        fits=lambda wc: fits([wc.impl], [wc.mode], [wc.image]),
    output:
        directory("results/images/{impl}/{mode}/{image}"),
    log:
        "results/logs/images/{impl}/{mode}/{image}.log",
    benchmark:
        "results/benchmarks/images/{impl}/{mode}/{image}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant images {input.pixels:q} {output:q} {input.fits:q} > {log:q} 2>&1"


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


rule rejected_table:
    input:
        expand("results/pixels/{image}.npz", image=IMAGES),
    output:
        report(
            "results/tables/rejected_images.csv",
            caption="workflow/report/rejected_images.rst",
            category=TABLES,
        ),
    log:
        "results/logs/tables/rejected_images.log",
    benchmark:
        "results/benchmarks/tables/rejected_images.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant rejected-table {output:q} {input:q} > {log:q} 2>&1"


rule original_png:
    input:
        "results/pixels/{image}.npz",
    output:
        "results/images/original/{image}.png",
    log:
        "results/logs/original/{image}.log",
    benchmark:
        "results/benchmarks/original/{image}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant original {input:q} {output:q} > {log:q} 2>&1"


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
            caption="workflow/report/fits_table.rst",
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
            caption="workflow/report/native_summary.rst",
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
            caption="workflow/report/convergence_table.rst",
            category=CONVERGENCE,
        ),
        centres=report(
            "results/tables/convergence_centres.csv",
            caption="workflow/report/convergence_centres.rst",
            category=CONVERGENCE,
        ),
        checks=report(
            "results/tables/convergence_check.csv",
            caption="workflow/report/convergence_check.rst",
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
            caption="workflow/report/agreement_table.rst",
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
    output:
        report(
            "results/tables/timings.csv",
            caption="workflow/report/timings_table.rst",
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
        " --benchmarks {input.benchmarks:q} > {log:q} 2>&1"


rule environment:
    output:
        report(
            "results/environment.json",
            caption="workflow/report/environment.rst",
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


rule figure_metrics:
    input:
        "results/tables/fits.csv",
    output:
        report(
            "results/figures/elbow.png",
            caption="workflow/report/elbow.rst",
            category=QUALITY,
        ),
        "results/figures/elbow.svg",
        report(
            "results/figures/quality.png",
            caption="workflow/report/quality.rst",
            category=QUALITY,
        ),
        "results/figures/quality.svg",
        report(
            "results/figures/storage.png",
            caption="workflow/report/storage.rst",
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
            caption="workflow/report/figure_from_table.rst",
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
    output:
        report(
            "results/figures/images_{image}.png",
            caption="workflow/report/images.rst",
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
    shell:
        "python -m kmquant figure images {params.stem:q} {input.original:q} {params.images:q}"
        " --image {wildcards.image} --mode {params.mode} --seed {params.seed}"
        " --k {params.ks} > {log:q} 2>&1"


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
            caption="workflow/report/palettes.rst",
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


rule manifest:
    input:
        "results/tables/fits.csv",
        "results/tables/agreement.csv",
        "results/tables/native_summary.csv",
        "results/tables/convergence.csv",
        "results/tables/convergence_centres.csv",
        "results/tables/convergence_check.csv",
        "results/tables/rejected_images.csv",
        image_dirs,
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


rule explorer:
    input:
        fits_table="results/tables/fits.csv",
        agreement_table="results/tables/agreement.csv",
        fits=lambda wc: fits(),
        images=image_dirs,
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
        " > {log:q} 2>&1"
