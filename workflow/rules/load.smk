# Load every image once: its pixels (a checkpoint: an image that cannot be read is
# rejected, and the study goes on without it), the table of the study's images, and the
# original as an optimized RGB PNG, the reference of every file size.


checkpoint pixels:
    input:
        # The study's images, where the config names them: never under a module's prefix.
        lambda wc: local(IMAGES[wc.image]),
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
    shell:
        "python -m kmquant pixels {input:q} {output:q} --fit-max-pixels {params.fit_max_pixels}"
        " --sample-seed {params.sample_seed} --background {params.background:q} > {log:q} 2>&1"


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
