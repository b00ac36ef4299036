# K-means colour quantization with every implementation of kmquant.implementations (scikit-learn,
# SciPy, OpenCV and faiss in Python; stats::kmeans and amap::Kmeans in R), cross-validated.
# The study in six stages, each in its own file under workflow/rules/:
#   load        each image's pixels (rejected images listed, never fatal), the images table
#   fit         the shared initial centres, one fit job per (implementation, image) for every
#               K, mode and seed, PNGs
#   reference   the quantizers people use (pngquant, libimagequant, Pillow) on the same pixels
#   compare     every pair of implementations, the headline pair's difference images and
#               convergence traces, the result tables
#   figures     the paper figures, the offline explorer, the front page of the report
#   provenance  versions and the sha256 manifest of every reproducible result
# Each rule calls one subcommand of the kmquant package (`python -m kmquant --help`); the
# helpers that expand the grid into file lists are in workflow/rules/common.smk.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"


rule all:
    input:
        RESULTS.table("images"),
        RESULTS.table("rejected_images"),
        # The study itself, where some image could be read.
        where_any_image(
            RESULTS.tables(),
            RESULTS.environment(),
            RESULTS.manifest(),
            figures,
            image_dirs,
            RESULTS.report("explorer.html"),
            RESULTS.report("workflow.rst"),
        ),
    # Jobs that take a second or two run where snakemake runs, not as cluster jobs.
    localrule: True


include: "workflow/rules/load.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/provenance.smk"
