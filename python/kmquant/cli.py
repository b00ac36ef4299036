"""Command-line entry points: one subcommand per workflow step (`kmquant --help`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kmquant import atomic
from kmquant.images import ImageError
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS
from kmquant.modes import FIGURE_MODES, MODES, USER_MODE
from kmquant.paths import Results, reference_name
from kmquant.reference import QUANTIZERS


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


def _same_length(**lists: Sequence[Any]) -> None:
    """Per-seed arguments come one per seed, in the same order."""
    given = [name for name, values in lists.items() if values]
    if len({len(lists[name]) for name in given}) > 1:
        raise SystemExit(f"give as many {', '.join(given)} as seeds, in the same order")


@command(
    "fit",
    "K-means fits of one implementation: one image, mode and K, one fit per seed",
    arg("pixels"),
    arg("--out", nargs="+", required=True, help="one fit file per seed"),
    arg("--impl", choices=list(IMPLEMENTATIONS), required=True),
    arg("--mode", choices=list(MODES), required=True),
    arg("--image", required=True),
    arg("--k", type=int, required=True),
    arg("--seed", type=int, nargs="+", required=True),
    arg("--max-iter", type=int, required=True),
    arg("--init", nargs="*", default=[], help="initial centres CSV per seed (shared starts)"),
    arg("--threads", type=int, default=1),
)
def _fit(args: argparse.Namespace) -> None:
    from kmquant import fitting, initial, pixels

    _same_length(seed=args.seed, out=args.out, init=args.init)
    shared = MODES[args.mode].shared_start
    if shared and not args.init:
        raise SystemExit(f"fit: {args.mode} mode starts from --init: one CSV per seed")
    inits = [initial.read_centres(p) for p in args.init] if shared else [None] * len(args.seed)
    tasks = [fitting.Task(args.image, args.impl, args.mode, args.k, s) for s in args.seed]
    fitting.fit_batch(pixels.load(args.pixels), tasks, inits, args.out, args.max_iter, args.threads)


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
    description="Fit K colours to the image's fit sample with the implementation's own seeded "
    "default (scikit-learn's k-means++ and Lloyd unless --impl names another), give every "
    "pixel its nearest colour and write the indexed PNG.",
)
def _compress(args: argparse.Namespace) -> None:
    from kmquant import fitting, images, pixels
    from kmquant.metrics import palette_8bit
    from kmquant.scoring import image_psnr

    px = pixels.prepare(args.image, args.fit_max_pixels, args.sample_seed, args.background)
    task = fitting.Task(Path(args.image).stem, args.impl, USER_MODE, args.k, args.seed)
    result = fitting.fit_image(px, task, args.max_iter, args.threads)
    if not result.ok:
        raise SystemExit(f"kmquant compress: the {args.impl} fit failed: {result.meta['message']}")
    png = images.encode_png(result.labels.reshape(px.shape), palette_8bit(result.centres))
    atomic.write_bytes(args.out, png)
    meta = result.meta
    psnr = image_psnr(px, result.centres, result.labels)
    logging.info(
        "%s: K = %d (%s, %s), PSNR %.2f dB, %d bytes",
        args.out,
        meta["k_effective"],
        args.impl,
        meta["status"],
        psnr,
        len(png),
    )


@command(
    "pixels",
    "load an image into results/pixels/{image}.npz",
    arg("image"),
    arg("out"),
    arg("--fit-max-pixels", type=int, required=True),
    arg("--sample-seed", type=int, default=0),
    arg("--background", default="#ffffff"),
)
def _pixels(args: argparse.Namespace) -> None:
    from kmquant import pixels

    try:
        px = pixels.prepare(args.image, args.fit_max_pixels, args.sample_seed, args.background)
    except ImageError as error:
        logging.error("rejected: %s", error)
        pixels.save(pixels.rejection(str(error), args.image), args.out)
        return
    logging.info(
        "%s: %d x %d pixels, max value %d, fit on %d rows",
        args.image,
        *px.shape,
        px.max_value,
        len(px.fit_rows),
    )
    pixels.save(px, args.out)


@command(
    "image-tables",
    "results/tables/images.csv and rejected_images.csv",
    arg("images", help="every image: name, file, size, distinct colours"),
    arg("rejected", help="the rejected images and why"),
    arg("pixels", nargs="*"),
)
def _image_tables(args: argparse.Namespace) -> None:
    from kmquant import pixels, tables

    rows = [pixels.describe(pixels.load(path), Path(path).stem) for path in args.pixels]
    tables.write_table(args.images, tables.IMAGE_COLUMNS, rows)
    rejected = [{"image": r["image"], "message": r["rejected"]} for r in rows if r["rejected"]]
    tables.write_table(args.rejected, ("image", "message"), rejected)


@command(
    "init",
    "the shared initial centres of the matched or tied mode",
    arg("pixels"),
    arg("--out", nargs="+", required=True, help="one CSV per seed"),
    arg(
        "--mode", choices=[name for name, mode in MODES.items() if mode.shared_start], required=True
    ),
    arg("--k", type=int, required=True),
    arg("--seed", type=int, nargs="+", required=True),
)
def _init(args: argparse.Namespace) -> None:
    from kmquant import initial, pixels

    _same_length(seed=args.seed, out=args.out)
    off_lattice = MODES[args.mode].off_lattice
    initial.write_starts(pixels.load(args.pixels), args.k, args.seed, off_lattice, args.out)


@command(
    "agree",
    "compare every pair of implementations' fits of one image, mode and K, seed by seed",
    arg("--fits", nargs="+", required=True, help="every implementation's fit of every seed"),
    arg("--seed", type=int, nargs="+", required=True),
    arg("--out", nargs="+", required=True, help="one file of pair records per seed"),
    arg("--init", nargs="*", default=[], help="each seed's shared start, to explain differences"),
    arg("--pixels", help="the image's pixels (with --init)"),
    arg("--max-iter", type=int, required=True, help="how far runs are stepped to find a parting"),
)
def _agree(args: argparse.Namespace) -> None:
    from kmquant import agreement, pixels

    _same_length(seed=args.seed, out=args.out, init=args.init)
    loaded = pixels.load(args.pixels) if args.init else None
    agreement.write_pair_records(args.fits, args.seed, args.out, args.max_iter, loaded, args.init)


@command(
    "images",
    "the indexed PNGs of successful fits and the scored record of each",
    arg("pixels"),
    arg("out"),
    arg("fits", nargs="*"),
)
def _images(args: argparse.Namespace) -> None:
    from kmquant import compressed, pixels

    compressed.write_images(pixels.load(args.pixels), args.fits, args.out)


@command(
    "differences",
    "|a - b| x 8 images of two implementations' PNGs of one mode and image",
    arg("a", help="results/images/{a}/{mode}/{image}"),
    arg("b", help="results/images/{b}/{mode}/{image}"),
    arg("out"),
)
def _differences(args: argparse.Namespace) -> None:
    from kmquant import images

    with atomic.atomic_path(args.out, directory=True) as folder:
        for a_png in sorted(Path(args.a).glob("*.png")):
            b_png = Path(args.b) / a_png.name
            if b_png.exists():
                a, b = (images.decode_png(p.read_bytes()) for p in (a_png, b_png))
                png = images.encode_original_png(images.amplified_difference(a, b), 255)
                (folder / a_png.name).write_bytes(png)


@command(
    "explorer",
    "results/report/explorer.html",
    arg("results", help="the results folder of a run"),
    arg("out"),
)
def _explorer(args: argparse.Namespace) -> None:
    from kmquant import explorer

    data = explorer.explorer_data(Path(args.results), Path(args.out).parent)
    atomic.write_text(args.out, explorer.render(data))


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
)
def _report_description(args: argparse.Namespace) -> None:
    from kmquant import report, tables

    settings = {
        "max_iter": args.max_iter,
        "fit_max_pixels": args.fit_max_pixels,
        "fit_sample_seed": args.fit_sample_seed,
    }
    text = report.description(
        tables.read_csv(args.fits),
        tables.read_csv(args.agreement),
        tables.read_json(args.environment),
        settings,
        tables.read_csv(args.ranking) if args.ranking else [],
        tables.read_csv(args.k_for_quality) if args.k_for_quality else [],
    )
    atomic.write_text(args.out, text)


@command(
    "fits-table",
    "results/tables/fits.csv",
    arg("out"),
    arg("--results", required=True, help="the run's results folder, for real PNG sizes"),
    arg("fits", nargs="*"),
)
def _fits_table(args: argparse.Namespace) -> None:
    from kmquant import fitting, tables

    rows = [fitting.load_meta(path) for path in args.fits]
    rows = [row | tables.written_image(row, Results(Path(args.results))) for row in rows]
    tables.write_table(args.out, tables.FIT_COLUMNS, rows)


@command(
    "original",
    "the original as an optimized RGB PNG",
    arg("pixels"),
    arg("out"),
)
def _original(args: argparse.Namespace) -> None:
    from kmquant import images, pixels

    px = pixels.load(args.pixels)
    atomic.write_bytes(args.out, images.encode_original_png(px.rgb, px.max_value))


@command(
    "native-summary",
    "results/tables/native_summary.csv",
    arg("fits", help="results/tables/fits.csv"),
    arg("out"),
)
def _native_summary(args: argparse.Namespace) -> None:
    from kmquant import summary, tables

    rows = tables.read_csv(args.fits)
    tables.write_table(args.out, summary.SUMMARY_COLUMNS, summary.native_summary(rows))


@command(
    "converge",
    "step implementations one Lloyd iteration at a time from a shared start",
    arg("pixels"),
    arg("init"),
    arg("out"),
    arg("--fits", nargs="+", required=True, help="each implementation's full run, to check "
        "where its steps end"),
    arg("--max-iter", type=int, required=True),
)  # fmt: skip
def _converge(args: argparse.Namespace) -> None:
    from kmquant import convergence, fitting, initial, pixels

    fulls = {fit.meta["impl"]: fit for fit in map(fitting.load, args.fits)}
    px, init = pixels.load(args.pixels), initial.read_centres(args.init)
    convergence.save(args.out, *convergence.trace_pair(px, init, fulls, args.max_iter))


@command(
    "convergence-tables",
    "results/tables/convergence*.csv",
    arg("iterations"),
    arg("centres"),
    arg("checks"),
    arg("traces", nargs="*"),
)
def _convergence_tables(args: argparse.Namespace) -> None:
    from kmquant import convergence, tables

    iterations, centres, checks = [], [], []
    for path in args.traces:
        rows = convergence.table_rows(path)
        iterations += rows[0]
        centres += rows[1]
        checks += rows[2]
    tables.write_table(args.iterations, tables.CONVERGENCE_COLUMNS, iterations)
    tables.write_table(args.centres, tables.CONVERGENCE_CENTRE_COLUMNS, centres)
    tables.write_table(args.checks, tables.CONVERGENCE_CHECK_COLUMNS, checks)


@command(
    "agreement-table",
    "results/tables/agreement.csv",
    arg("out"),
    arg("records", nargs="*"),
)
def _agreement_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    rows = [row for path in args.records for row in tables.read_json(path)]
    tables.write_table(args.out, tables.AGREEMENT_COLUMNS, rows)


@command(
    "timings-table",
    "results/tables/timings.csv",
    arg("out"),
    arg("--results", required=True, help="the run's results folder, for its fit jobs' benchmarks"),
    arg("--fits", nargs="*", default=[]),
    arg("--reference-seconds", nargs="*", default=[], help="the reference jobs' timing files"),
)
def _timings_table(args: argparse.Namespace) -> None:
    from kmquant import fitting, tables

    fits = [fitting.load_meta(fit) for fit in args.fits]
    references = [row for path in args.reference_seconds for row in tables.read_json(path)]
    rows = tables.timing_rows(fits, references, Results(Path(args.results)))
    tables.write_table(args.out, tables.TIMING_COLUMNS, rows)


@command(
    "reference",
    "one reference quantizer on one image at every K: indexed PNGs and scored records",
    arg("pixels"),
    arg("out", help="results/reference/{method}/{image}"),
    arg("--method", choices=list(QUANTIZERS), required=True),
    arg("--image", required=True),
    arg("--k", type=int, nargs="+", required=True),
    arg("--seconds", required=True, help="where the tool's seconds per K go (a timing file)"),
)
def _reference(args: argparse.Namespace) -> None:
    from kmquant import pixels, reference
    from kmquant.images import eight_bit

    px = pixels.load(args.pixels)
    rgb = eight_bit(px.rgb, px.max_value)
    seconds = []
    with atomic.atomic_path(args.out, directory=True) as folder:
        for k in args.k:
            result = reference.quantize(args.method, rgb, k)
            name = reference_name(k)
            if result.png is not None:
                (folder / f"{name}.png").write_bytes(result.png)
            meta = reference.record(args.method, k, result, px, args.image)
            logging.info("%s", json.dumps(meta, sort_keys=True))
            (folder / f"{name}.json").write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n")
            seconds.append({"image": args.image, "method": args.method, "k_requested": k,
                            "fit_seconds": result.seconds})  # fmt: skip
    atomic.write_text(args.seconds, json.dumps(seconds, indent=1) + "\n")


@command(
    "ranking-table",
    "results/tables/ranking.csv: the best method per image, K and metric",
    arg("fits", help="results/tables/fits.csv"),
    arg("references", help="results/tables/reference.csv"),
    arg("out"),
)
def _ranking_table(args: argparse.Namespace) -> None:
    from kmquant import ranking, tables

    rows = ranking.ranking(tables.read_csv(args.fits), tables.read_csv(args.references))
    tables.write_table(args.out, ranking.RANKING_COLUMNS, rows)


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
    from kmquant import rate, tables

    tables_in = (tables.read_csv(path) for path in (args.fits, args.references, args.images))
    tables.write_table(args.out, rate.RATE_COLUMNS, rate.points(*tables_in, args.mode))


@command(
    "k-for-quality",
    "results/tables/k_for_quality.csv: the smallest K reaching each target, per method",
    arg("rate", help="results/tables/rate_distortion.csv"),
    arg("out"),
    arg("--targets", type=json.loads, required=True,
        help='JSON: {"psnr_db": [30, 35], "mean_ciede2000": [2], "ssim": [0.95]}'),
)  # fmt: skip
def _k_for_quality(args: argparse.Namespace) -> None:
    from kmquant import rate, tables

    rows = rate.k_for_quality(tables.read_csv(args.rate), args.targets)
    tables.write_table(args.out, rate.K_FOR_QUALITY_COLUMNS, rows)


@command(
    "reference-table",
    "results/tables/reference.csv",
    arg("out"),
    arg("--results", required=True, help="the run's results folder, for real PNG sizes"),
    arg("folders", nargs="*", help="reference quantizer folders, one per (method, image)"),
)
def _reference_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    results = Results(Path(args.results))
    rows = [
        row | tables.size_ratio(results.original(row["image"]), row)
        for row in tables.reference_records(args.folders)
    ]
    tables.write_table(args.out, tables.REFERENCE_COLUMNS, rows)


@command(
    "figure",
    "figures (PNG and SVG) drawn from the same result tables",
    arg("--figures", nargs="+", required=True, help="names of kmquant.figures.FIGURES"),
    arg("--out", nargs="+", required=True, help="one file stem per figure"),
    arg("--tables", nargs="+", required=True, help="the tables they draw, in their order"),
    arg("--mode", choices=list(MODES), default=FIGURE_MODES[0], help="the mode of their fits"),
)
def _figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    unknown = sorted(set(args.figures) - set(figures.FIGURES))
    if unknown:
        raise SystemExit(f"figure: no figure named {', '.join(unknown)}")
    if len(args.figures) != len(args.out):
        raise SystemExit("figure: give one --out stem per figure, in the same order")
    for name, stem in zip(args.figures, args.out, strict=True):
        figures.table_figure(name, args.tables, args.mode, stem)


@command(
    "image-figure",
    "the image grid of one image (PNG and SVG): original, the headline pair, their difference",
    arg("out", help="file stem"),
    arg("--results", required=True, help="the run's results folder"),
    arg("--image", required=True),
    arg("--mode", choices=list(MODES), required=True),
    arg("--seed", type=int, required=True),
    arg("--k", type=int, nargs="+", required=True),
    arg("--reference", choices=list(QUANTIZERS), help="a quantizer to show beside"),
)
def _image_figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    figure = figures.images_figure(
        Results(Path(args.results)), args.image, args.mode, args.seed, args.k, args.reference
    )
    figures.save(figure, args.out)


@command(
    "palette-figure",
    "the palettes of the headline pair on one image (PNG and SVG), matched colour to colour",
    arg("out", help="file stem"),
    arg("--results", required=True, help="the run's results folder"),
    arg("--image", required=True),
    arg("--mode", choices=list(MODES), required=True),
    arg("--seed", type=int, required=True),
    arg("--k", type=int, nargs="+", required=True),
)
def _palette_figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    figure = figures.palettes_figure(
        Results(Path(args.results)), args.image, args.mode, args.seed, args.k
    )
    figures.save(figure, args.out)


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

    text = json.dumps(environment.collect(), indent=2, sort_keys=True) + "\n"
    atomic.write_text(args.out, text)


@command(
    "compare-runs",
    "two runs' results side by side: environments, files, table cells, image pixels, fits",
    arg("a", help="the results folder of run A"),
    arg("b", help="the results folder of run B"),
    arg("--out", help="where the Markdown report goes (default: printed)"),
)
def _compare_runs(args: argparse.Namespace) -> None:
    from kmquant import compare_runs

    text = compare_runs.report(Path(args.a), Path(args.b))
    if args.out:
        atomic.write_text(args.out, text)
    else:
        sys.stdout.write(text)


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
    except ImageError as error:  # bad input: one plain sentence, no traceback
        logging.error("%s", error)
        sys.exit(1)
