# Load every image once: its pixels (a checkpoint: an image that cannot be read is
# rejected, and the study goes on without it), the table of the study's images, and the
# original as an optimized RGB PNG, the reference of every file size.


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


rule image_tables:
    input:
        expand("results/pixels/{image}.npz", image=IMAGES),
    output:
        images=report(
            "results/tables/images.csv",
            caption="../report/images_table.rst",
            category=TABLES,
        ),
        rejected=report(
            "results/tables/rejected_images.csv",
            caption="../report/rejected_images.rst",
            category=TABLES,
        ),
    log:
        "results/logs/tables/images.log",
    benchmark:
        "results/benchmarks/tables/images.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant image-tables {output.images:q} {output.rejected:q} {input:q}"
        " > {log:q} 2>&1"


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
