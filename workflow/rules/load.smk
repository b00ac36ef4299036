# Load every image once: its pixels (a checkpoint: an image that cannot be read is
# rejected, and the study goes on without it), the table of the study's images, and the
# original as an optimized RGB PNG, the reference of every file size.


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
        image=lambda wc: shown_path(IMAGES[wc.image]),
        refused=lambda wc: (
            [f"--refused={REFUSED[wc.image]}"] if wc.image in REFUSED else []
        ),
    shell:
        "python -m kmquant pixels --fit-max-pixels {params.fit_max_pixels}"
        " --sample-seed {params.sample_seed} --background {params.background:q}"
        " {params.refused:q} -- {params.image:q} {output:q} > {log:q} 2>&1"


rule image_tables:
    input:
        expand(RESULTS.pixels(), image=IMAGES),
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
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant image-tables {output.images:q} {output.rejected:q} {input:q}"
        " > {log:q} 2>&1"


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
