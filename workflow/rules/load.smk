# Load every image once: its pixels (a checkpoint: an image that cannot be read is
# rejected, and the study goes on without it), the table of the study's images, and the
# original as an optimized RGB PNG, the reference of every file size.


# Each file of a dataset, fetched once and checked against its SHA-256 (from the dataset's
# URL, or the `dataset_mirror`). It reaches out of the machine: never a cluster job.
rule dataset_file:
    output:
        str(LOCAL_DATASETS / "{dataset}" / "{path}"),
    log:
        RESULTS.fetch_log(),
    wildcard_constraints:
        dataset=r"[A-Za-z0-9_.-]+",
        path=r"[A-Za-z0-9_./-]+",
    localrule: True
    conda:
        ENV
    threads: 1
    params:
        dataset=lambda wc: DATASET_SPECS[wc.dataset],
        mirror=lambda wc: (
            [f"--mirror={config['dataset_mirror']}"]
            if config["dataset_mirror"]
            else []
        ),
    shell:
        "python -m kmquant fetch {params.mirror:q} -- {params.dataset:q} {wildcards.path:q}"
        " {output:q} > {log:q} 2>&1"


checkpoint pixels:
    input:
        image_file,
    output:
        RESULTS.pixels(),
    log:
        RESULTS.log_of(RESULTS.pixels()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.pixels())
    conda:
        ENV
    threads: 1
    params:
        fit_max_pixels=config["fit_max_pixels"],
        sample_seed=config["fit_sample_seed"],
        background=config["background"],
        # The file as the job finds it: a dataset's image lies under a module's prefix.
        image=lambda wc, input: shown_path(input[0] if input else IMAGES[wc.image]),
        refused=lambda wc: (
            [f"--refused={REFUSED[wc.image]}"] if wc.image in REFUSED else []
        ),
    shell:
        "python -m kmquant pixels --fit-max-pixels {params.fit_max_pixels}"
        " --sample-seed {params.sample_seed} --background {params.background:q}"
        " {params.refused:q} -- {params.image:q} {output:q} > {log:q} 2>&1"


rule image_tables:
    input:
        pixels=expand(RESULTS.pixels(), image=IMAGES),
        # Each dataset's own table of its images: their credit and colour counts.
        metadata=[str(d.local(d.metadata)) for d in DATASETS.values()],
    output:
        images=report(
            RESULTS.table("images"),
            caption="../report/images_table.rst",
            category=TABLES,
        ),
        rejected=report(
            RESULTS.table("rejected_images"),
            caption="../report/rejected_images.rst",
            category=TABLES,
        ),
    log:
        RESULTS.log_of(RESULTS.table("images")),
    benchmark:
        RESULTS.benchmark_of(RESULTS.table("images"))
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True
    conda:
        ENV
    threads: 1
    params:
        datasets=[f"--dataset={spec}" for spec in DATASET_SPECS.values()],
    shell:
        "python -m kmquant image-tables {params.datasets:q} --metadata {input.metadata:q}"
        " -- {output.images:q} {output.rejected:q} {input.pixels:q} > {log:q} 2>&1"


rule original_png:
    input:
        RESULTS.pixels(),
    output:
        RESULTS.original(),
    log:
        RESULTS.log_of(RESULTS.original()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.original())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant original {input:q} {output:q} > {log:q} 2>&1"
