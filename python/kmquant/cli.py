"""Command-line entry points: one subcommand per workflow step (`kmquant --help`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kmquant.errors import InputError
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, THREADS
from kmquant.modes import FIGURE_MODES, MODES, USER_MODE
from kmquant.paths import Inputs, Results
from kmquant.spaces import RGB, SPACES


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


Handler = Callable[[argparse.Namespace], None]
Argument = tuple[tuple[str, ...], dict[str, Any]]
#: Every subcommand: its parser options, its arguments and the function that runs it.
COMMANDS: dict[str, tuple[dict[str, Any], list[Argument], Handler]] = {}


def arg(*flags: str, **settings: Any) -> Argument:
    """One argument of a subcommand, as `ArgumentParser.add_argument` takes it."""
    return flags, settings


def command(
    name: str, help: str, *arguments: Argument, **options: Any
) -> Callable[[Handler], Handler]:
    """Register a subcommand, so that its arguments stand next to the function it runs."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = ({"help": help, **options}, list(arguments), handler)
        return handler

    return register


def _runs(text: str, writes_starts: bool = False) -> list[Any]:
    """The runs of a job (`--runs`), checked whole (kmquant.runs)."""
    from kmquant import runs

    try:
        return runs.parse(text, writes_starts=writes_starts)
    except runs.RunError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _starts(text: str) -> list[Any]:
    """The runs whose shared initial centres a job writes (`kmquant init --runs`)."""
    return _runs(text, writes_starts=True)


#: The runs of a fit or pairs job: one JSON list of {k, mode, seed, out, init, space}
#: (kmquant.runs).
RUNS_HELP = (
    "the job's runs, a JSON list of {k, mode, seed, out, init, space} (init: shared starts; "
    "space: a colour space other than rgb)"
)


@command(
    "fit",
    "K-means fits of one implementation on one image: one fit per run (K, mode, seed, space)",
    arg("pixels"),
    arg("--runs", type=_runs, required=True, help=RUNS_HELP),
    arg("--impl", choices=list(IMPLEMENTATIONS), required=True),
    arg("--image", required=True),
    arg("--max-iter", type=int, required=True),
    arg("--threads", type=int, default=THREADS),
)
def _fit(args: argparse.Namespace) -> None:
    from kmquant import fitting

    fitting.fit_files(args.pixels, args.image, args.impl, args.runs, args.max_iter, args.threads)


@command(
    "compress",
    "quantize one image to an indexed PNG of K colours (like pngquant)",
    arg("image"),
    arg("out", help="the PNG to write"),
    arg("--k", type=_positive, default=256, help="colours in the palette (256)"),
    arg("--impl", choices=list(IMPLEMENTATIONS), default=HEADLINE[0]),
    arg("--seed", type=int, default=0),
    arg("--max-iter", type=_positive, default=300),
    arg("--fit-max-pixels", type=_positive, default=300_000),
    arg("--sample-seed", type=int, default=0),
    arg("--background", default="#ffffff", help="for transparent pixels"),
    arg("--threads", type=int, default=None, help="default: all cores"),
    arg(
        "--compress-level",
        type=int,
        choices=range(10),
        metavar="0-9",
        help="zlib level of the PNG, for speed (default: the smallest file, as the study)",
    ),
    arg(
        "--space",
        choices=list(SPACES),
        default=RGB,
        help="the colour space the colours are clustered in: "
        + "; ".join(f"{name}, {space.label} ({space.units})" for name, space in SPACES.items()),
    ),
    description="Fit K colours to the image's fit sample in a colour space with the "
    "implementation's own seeded default (scikit-learn's k-means++ and Lloyd unless --impl "
    "names another), give every pixel its nearest colour there and write the indexed PNG.",
)
def _compress(args: argparse.Namespace) -> None:
    from kmquant import compressed

    settings = (args.max_iter, args.fit_max_pixels, args.sample_seed, args.background)
    try:
        result, psnr, size = compressed.compress(
            args.image,
            args.out,
            args.k,
            args.impl,
            args.seed,
            *settings,
            args.threads,
            compress_level=args.compress_level,
            space=args.space,
        )
    except compressed.FitFailed as error:
        raise SystemExit(f"kmquant compress: {error}") from None
    meta = result.meta
    logging.info(
        "%s: K = %d (%s in %s, %s), %d colours clipped to sRGB, PSNR %.2f dB, %d bytes",
        args.out,
        meta["k_effective"],
        args.impl,
        args.space,
        meta["status"],
        meta.get("n_out_of_gamut", 0),
        psnr,
        size,
    )


@command(
    "pixels",
    "load an image into results/pixels/{image}.npz",
    arg("image"),
    arg("out"),
    arg("--fit-max-pixels", type=int, required=True),
    arg("--sample-seed", type=int, default=0),
    arg("--background", default="#ffffff"),
    arg("--refused", help="why the study does not open the file: record it as rejected"),
)
def _pixels(args: argparse.Namespace) -> None:
    from kmquant import pixels

    settings = (args.fit_max_pixels, args.sample_seed, args.background, args.refused)
    pixels.write(args.image, args.out, *settings)


@command(
    "fetch",
    "one file of a dataset (kmquant.datasets), verified against its SHA-256",
    arg("dataset", help="a registered dataset's name (kmquant.datasets) or a YAML description"),
    arg("path", help="the file's path in the dataset's list of files"),
    arg("out"),
    arg(
        "--mirror",
        help="a folder or base URL that holds the dataset's files under the same paths "
        "(default: the dataset's URL)",
    ),
)
def _fetch(args: argparse.Namespace) -> None:
    from kmquant import datasets

    datasets.fetch(datasets.resolve(args.dataset), args.path, args.out, args.mirror)


@command(
    "image-tables",
    "results/tables/images.csv and rejected_images.csv",
    arg("images", help="every image: name, file, size, distinct colours"),
    arg("rejected", help="the rejected images and why"),
    arg("pixels", nargs="*"),
    arg(
        "--dataset",
        action="append",
        default=[],
        help="a dataset of the study (its name or YAML description), whose images get "
        "their credit and colour count",
    ),
    arg("--metadata", nargs="*", default=[], help="each dataset's metadata table, as fetched"),
)
def _image_tables(args: argparse.Namespace) -> None:
    from kmquant import datasets, tables

    found = [datasets.resolve(spec) for spec in args.dataset]
    tables.write_image_tables(args.images, args.rejected, args.pixels, found, args.metadata)


@command(
    "init",
    "the shared initial centres of the matched and tied runs of one image",
    arg("pixels"),
    arg(
        "--runs",
        type=_starts,
        required=True,
        help="the runs, a JSON list of {k, mode, seed, out} of shared-start modes; out: the CSV",
    ),
)
def _init(args: argparse.Namespace) -> None:
    from kmquant import initial, pixels

    initial.write_starts(pixels.load(args.pixels), args.runs)


@command(
    "agree",
    "compare every pair of implementations' fits of one image, per run (K, mode, seed, space)",
    arg("--fits", nargs="+", required=True, help="every implementation's fit of every run"),
    arg("--runs", type=_runs, required=True, help=RUNS_HELP + "; out: its pair records"),
    arg("--pixels", help="the image's pixels (for runs with init)"),
    arg("--max-iter", type=int, required=True, help="how far runs are stepped to find a parting"),
)
def _agree(args: argparse.Namespace) -> None:
    from kmquant import agreement, pixels

    shared = any(run.init for run in args.runs)
    loaded = pixels.load(args.pixels) if shared and args.pixels else None
    agreement.write_pair_records(args.fits, args.runs, args.max_iter, loaded)


def _image_folder(token: str) -> tuple[tuple[str, str], str]:
    """`IMPL/MODE=FOLDER`: the folder of one implementation's images in one mode, named
    together on the command line."""
    key, given, folder = token.partition("=")
    impl, _, mode = key.partition("/")
    if not given or impl not in IMPLEMENTATIONS or mode not in MODES or not folder:
        raise argparse.ArgumentTypeError(
            f"{token!r}: give IMPL/MODE=FOLDER, IMPL one of {', '.join(IMPLEMENTATIONS)} and "
            f"MODE one of {', '.join(MODES)}"
        )
    return (impl, mode), folder


@command(
    "images",
    "the indexed PNGs of successful fits and the scored record of each, a folder per "
    "implementation and mode",
    arg("pixels"),
    arg(
        "--out",
        type=_image_folder,
        nargs="+",
        required=True,
        metavar="IMPL/MODE=FOLDER",
        help="the folder of each implementation's images in each mode",
    ),
    arg("--fits", nargs="*", default=[], help="fits of the image, each to its folder"),
)
def _images(args: argparse.Namespace) -> None:
    from kmquant import compressed, pixels

    outs = dict(args.out)
    if len(outs) != len(args.out):
        raise SystemExit("--out: give each implementation and mode once")
    if len(set(outs.values())) != len(outs):
        raise SystemExit("--out: give each implementation and mode a folder of its own")
    try:
        compressed.write_images(pixels.load(args.pixels), args.fits, outs)
    except compressed.NoFolder as error:
        raise SystemExit(str(error)) from None


@command(
    "differences",
    "|a - b| x 8 images of two implementations' PNGs of one mode and image",
    arg("a", help="results/images/{a}/{mode}/{image}"),
    arg("b", help="results/images/{b}/{mode}/{image}"),
    arg("out"),
)
def _differences(args: argparse.Namespace) -> None:
    from kmquant import compressed

    compressed.write_differences(args.a, args.b, args.out)


@command(
    "explorer",
    "results/report/explorer.html",
    arg("out"),
    arg("--tables", nargs="+", required=True, help="results/tables/*.csv it shows"),
    arg("--fits", nargs="*", default=[]),
    arg("--images", nargs="*", default=[], help="folders of written PNGs"),
    arg("--references", nargs="*", default=[], help="reference quantizer folders"),
    arg("--originals", nargs="*", default=[]),
    arg("--rate-figure", help="results/figures/rate_distortion.png"),
)
def _explorer(args: argparse.Namespace) -> None:
    from kmquant import explorer

    more = (args.fits, args.images, args.references, args.originals)
    figure = [args.rate_figure] if args.rate_figure else []
    explorer.write(Inputs.of(Results.table, args.tables, *more, figure), args.out)


@command(
    "report-description",
    "the Snakemake report's front page",
    arg("fits"),
    arg("agreement"),
    arg("environment"),
    arg("out"),
    arg("--max-iter", type=int, required=True),
    arg("--fit-max-pixels", type=int, required=True),
    arg("--fit-sample-seed", type=int, required=True),
    arg("--ranking", help="results/tables/ranking.csv"),
    arg("--k-for-quality", help="results/tables/k_for_quality.csv"),
    arg("--images", help="results/tables/images.csv"),
    arg("--agreement-over", help="results/tables/agreement_over_images.csv"),
    arg("--paired", help="results/tables/paired.csv"),
    arg("--reference", help="results/tables/reference.csv"),
    arg("--conversions", help="results/tables/conversions.csv"),
    arg(
        "--per-image-figures",
        nargs="+",
        help="the images whose per-image tables the page shows (by default all of at most "
        "four, else the first four by name)",
    ),
)
def _report_description(args: argparse.Namespace) -> None:
    from kmquant import report

    settings = {
        "max_iter": args.max_iter,
        "fit_max_pixels": args.fit_max_pixels,
        "fit_sample_seed": args.fit_sample_seed,
        "per_image_figures": args.per_image_figures,
    }
    names = ("ranking", "k_for_quality", "agreement_over", "paired", "reference", "conversions")
    tables = {name: getattr(args, name) for name in names} | {"image_table": args.images}
    report.write_description(
        args.out, args.fits, args.agreement, args.environment, settings, tables
    )


@command(
    "fits-table",
    "results/tables/fits.csv",
    arg("out"),
    arg("--fits", nargs="*", default=[]),
    arg("--images", nargs="*", default=[], help="the folders of their written PNGs"),
    arg("--originals", nargs="*", default=[], help="the originals, for the size ratios"),
)
def _fits_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    given = Inputs.of(Results.fit, args.fits, args.images, args.originals)
    tables.write_fits_table(args.out, args.fits, given)


@command(
    "original",
    "the original as an optimized RGB PNG",
    arg("pixels"),
    arg("out"),
)
def _original(args: argparse.Namespace) -> None:
    from kmquant import compressed, pixels

    compressed.write_original(pixels.load(args.pixels), args.out)


@command(
    "native-summary",
    "results/tables/native_summary.csv",
    arg("fits", help="results/tables/fits.csv"),
    arg("out"),
)
def _native_summary(args: argparse.Namespace) -> None:
    from kmquant import summary

    summary.write(args.fits, args.out)


@command(
    "converge",
    "step implementations one Lloyd iteration at a time from a shared start",
    arg("pixels"),
    arg("init"),
    arg("out"),
    arg(
        "--fits",
        nargs="+",
        required=True,
        help="each implementation's full run, to check where its steps end",
    ),
    arg("--max-iter", type=int, required=True),
)
def _converge(args: argparse.Namespace) -> None:
    from kmquant import convergence, initial, pixels

    px, init = pixels.load(args.pixels), initial.read_centres(args.init)
    convergence.write_trace(px, init, args.fits, args.out, args.max_iter)


@command(
    "convergence-tables",
    "results/tables/convergence*.csv",
    arg("iterations"),
    arg("centres"),
    arg("checks"),
    arg("traces", nargs="*"),
)
def _convergence_tables(args: argparse.Namespace) -> None:
    from kmquant import convergence

    convergence.write_tables(args.traces, args.iterations, args.centres, args.checks)


@command(
    "conversions",
    "results/tables/conversions.csv: R's, scikit-image's and colour-science's sRGB to CIELAB "
    "on every image's distinct colours, each pair's differences",
    arg("out"),
    arg("pixels", nargs="*", help="the pixels of every image of the study"),
)
def _conversions(args: argparse.Namespace) -> None:
    from kmquant import conversions

    conversions.write(args.out, args.pixels)


@command(
    "agreement-table",
    "results/tables/agreement.csv",
    arg("out"),
    arg("records", nargs="*"),
)
def _agreement_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    tables.write_agreement_table(args.out, args.records)


@command(
    "timings-table",
    "results/tables/timings.csv",
    arg("out"),
    arg("--fits", nargs="*", default=[]),
    arg("--benchmarks", nargs="*", default=[], help="the benchmark files of their fit jobs"),
    arg("--reference-seconds", nargs="*", default=[], help="the reference jobs' timing files"),
)
def _timings_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    given = Inputs.of(Results.fit, args.fits, args.benchmarks)
    tables.write_timings_table(args.out, args.fits, args.reference_seconds, given)


def _quantizer(name: str, option: str) -> None:
    """Refuse a name that is not a registered reference quantizer, in one sentence."""
    from kmquant.reference import QUANTIZERS

    if name not in QUANTIZERS:
        raise SystemExit(f"{option} {name}: no such quantizer ({', '.join(QUANTIZERS)})")


@command(
    "reference",
    "reference quantizers on one image at every K: indexed PNGs and scored records",
    arg("pixels"),
    arg(
        "--tool",
        nargs=3,
        action="append",
        required=True,
        metavar=("METHOD", "OUT", "SECONDS"),
        help="a quantizer, the folder of its PNGs and records (results/reference/{method}/"
        "{image}) and the timing file of its seconds per K; once per quantizer",
    ),
    arg("--image", required=True),
    arg("--k", type=int, nargs="+", required=True),
)
def _reference(args: argparse.Namespace) -> None:
    from kmquant import pixels, reference

    methods = [method for method, _, _ in args.tool]
    for method in methods:
        _quantizer(method, "--tool")
        if methods.count(method) > 1:
            raise SystemExit(f"--tool {method}: given twice")
    px = pixels.load(args.pixels)
    for method, out, seconds in args.tool:
        reference.write_outputs(px, method, args.image, args.k, out, seconds)


@command(
    "over-images",
    "results/tables/over_images.csv, paired.csv and agreement_over_images.csv: statistics over "
    "the images of a study",
    arg("fits", help="results/tables/fits.csv"),
    arg("references", help="results/tables/reference.csv"),
    arg("agreement", help="results/tables/agreement.csv"),
    arg("--out", nargs=3, required=True, metavar=("OVER_IMAGES", "PAIRED", "AGREEMENT")),
)
def _over_images(args: argparse.Namespace) -> None:
    from kmquant import over_images

    over_images.write(args.fits, args.references, args.agreement, *args.out)


@command(
    "ranking-table",
    "results/tables/ranking.csv: the best method per image, K and metric",
    arg("fits", help="results/tables/fits.csv"),
    arg("references", help="results/tables/reference.csv"),
    arg("out"),
)
def _ranking_table(args: argparse.Namespace) -> None:
    from kmquant import ranking

    ranking.write(args.fits, args.references, args.out)


@command(
    "rate-table",
    "results/tables/rate_distortion.csv: bits per pixel and quality, per image, method and K",
    arg("fits", help="results/tables/fits.csv"),
    arg("references", help="results/tables/reference.csv"),
    arg("images", help="results/tables/images.csv"),
    arg("out"),
    arg("--mode", choices=list(MODES), default=USER_MODE, help="the K-means fits shown"),
)
def _rate_table(args: argparse.Namespace) -> None:
    from kmquant import rate

    rate.write_points(args.fits, args.references, args.images, args.out, args.mode)


@command(
    "k-for-quality",
    "results/tables/k_for_quality.csv: the smallest K reaching each target, per method",
    arg("rate", help="results/tables/rate_distortion.csv"),
    arg("out"),
    arg(
        "--targets",
        type=json.loads,
        required=True,
        help='JSON: {"psnr_db": [30, 35], "mean_ciede2000": [2], "ssim": [0.95]}',
    ),
)
def _k_for_quality(args: argparse.Namespace) -> None:
    from kmquant import rate

    rate.write_k_for_quality(args.rate, args.out, args.targets)


@command(
    "reference-table",
    "results/tables/reference.csv",
    arg("out"),
    arg("folders", nargs="*", help="reference quantizer folders, one per (method, image)"),
    arg("--originals", nargs="*", default=[], help="the originals, for the size ratios"),
)
def _reference_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    given = Inputs.of(Results.reference, args.folders, args.originals)
    tables.write_reference_table(args.out, args.folders, given)


@command(
    "figure",
    "figures (PNG and SVG) drawn from the same result tables",
    arg("--figures", nargs="+", required=True, help="names of kmquant.figures.FIGURES"),
    arg("--out", nargs="+", required=True, help="one file stem per figure"),
    arg("--tables", nargs="+", required=True, help="the tables they draw, in their order"),
    arg("--mode", choices=list(MODES), default=FIGURE_MODES[0], help="the mode of their fits"),
    arg(
        "--images",
        nargs="+",
        help="the images a figure of a row per image shows "
        "(per_image_figures; by default all of at most four, else the first four by name)",
    ),
)
def _figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    try:
        figures.draw(args.figures, args.out, args.tables, args.mode, args.images)
    except ValueError as error:
        raise SystemExit(f"figure: {error}") from None


#: The runs a per-image figure shows: one image, mode and seed, at every K given.
_ONE_RUN_PER_K = (
    arg("--image", required=True),
    arg("--mode", choices=list(MODES), required=True),
    arg("--seed", type=int, required=True),
    arg("--k", type=int, nargs="+", required=True),
)


@command(
    "image-figure",
    "the image grid of one image (PNG and SVG): original, the headline pair, their difference",
    arg("out", help="file stem"),
    *_ONE_RUN_PER_K,
    arg("--original", required=True, help="results/originals/{image}.png"),
    arg("--images", nargs=2, required=True, help="the headline pair's folders of PNGs"),
    arg("--differences", required=True, help="the folder of their difference images"),
    arg("--reference", help="a quantizer to show beside (kmquant.reference.QUANTIZERS)"),
    arg("--reference-folder", help="its folder of PNGs (with --reference)"),
)
def _image_figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    if args.reference:
        _quantizer(args.reference, "--reference")
    beside = [args.reference_folder] if args.reference_folder else []
    given = Inputs.of(Results.original, [args.original], args.images, [args.differences], beside)
    figures.save(
        figures.images_figure(given, args.image, args.mode, args.seed, args.k, args.reference),
        args.out,
    )


@command(
    "palette-figure",
    "the palettes of the headline pair on one image (PNG and SVG), matched colour to colour",
    arg("out", help="file stem"),
    *_ONE_RUN_PER_K,
    arg("--fits", nargs="+", required=True, help="the headline pair's fits at every K"),
)
def _palette_figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    given = Inputs.of(Results.fit, args.fits)
    figures.save(figures.palettes_figure(given, args.image, args.mode, args.seed, args.k), args.out)


@command(
    "manifest",
    "sha256 of every reproducible result file",
    arg("out"),
    arg("paths", nargs="*", help="files, and folders whose files are all listed"),
)
def _manifest(args: argparse.Namespace) -> None:
    from kmquant import manifest

    manifest.write_manifest(args.out, args.paths)


@command(
    "environment",
    "results/environment.json",
    arg("out"),
)
def _environment(args: argparse.Namespace) -> None:
    from kmquant import environment

    environment.write(args.out)


@command(
    "compare-runs",
    "two runs' results side by side: environments, files, table cells, image pixels, fits",
    arg("a", help="the results folder of run A"),
    arg("b", help="the results folder of run B"),
    arg("--out", help="where the Markdown report goes (default: printed)"),
)
def _compare_runs(args: argparse.Namespace) -> None:
    from kmquant import compare_runs

    compare_runs.write(args.a, args.b, args.out)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("kmquant")
    except metadata.PackageNotFoundError:  # a checkout on the path, not installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kmquant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (options, arguments, handler) in COMMANDS.items():
        subparser = sub.add_parser(name, **options)
        for flags, settings in arguments:
            subparser.add_argument(*flags, **settings)
        subparser.set_defaults(run=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("rpy2").setLevel(logging.WARNING)  # R start-up chatter, not our results
    args = build_parser().parse_args(argv)
    # Which kmquant ran this job: a checkout's, or one installed into an environment.
    logging.info("kmquant %s from %s", _version(), Path(__file__).resolve().parent)
    try:
        args.run(args)
    except InputError as error:  # bad input: one sentence
        logging.error("%s", error)
        sys.exit(1)
