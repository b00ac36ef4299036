"""Command-line entry points: one subcommand per workflow step (`kmquant --help`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from kmquant import atomic
from kmquant.images import ImageError
from kmquant.modes import MODES

if TYPE_CHECKING:  # the subcommands import what they need, so that each starts fast
    import numpy as np

    from kmquant.fitting import FitResult
    from kmquant.pixels import Pixels


def _fit(args: argparse.Namespace) -> None:
    from kmquant import fitting, initial, pixels

    px = pixels.load(args.pixels)
    init = initial.read_centres(args.init) if MODES[args.mode].shared_start else None
    result = _fit_image(px, args, args.image, args.mode, init)
    logging.info("%s", json.dumps(result.meta, sort_keys=True))
    fitting.save(result, args.out)


def _fit_image(
    px: Pixels, args: argparse.Namespace, image: str, mode: str, init: np.ndarray | None
) -> FitResult:
    """One fit of an image's fit sample, completed for every pixel (a `fitting.FitResult`):
    Lloyd from the given initial centres (a shared-start mode) or by the language's own
    defaults."""
    from threadpoolctl import threadpool_limits

    from kmquant import fitting, initial, pixels

    module = _fit_module(args.impl)
    features = px.fit_features()
    with threadpool_limits(limits=args.threads):
        if init is not None:
            raw = module.fit_lloyd(features, init, args.max_iter)
            k_eff = len(init)
        else:
            distinct = pixels.distinct_colours(px.fit_colours(), px.max_value)[0]
            k_eff = initial.effective_k(args.k, len(distinct))
            raw = module.fit_native(features, k_eff, args.seed, args.max_iter)
    ident = {
        "image": image,
        "impl": args.impl,
        "mode": mode,
        "k_requested": args.k,
        "k_effective": k_eff,
        "seed": args.seed,
    }
    return fitting.complete(raw, px, ident)


def _compress(args: argparse.Namespace) -> None:
    from kmquant import images, pixels
    from kmquant.metrics import palette_8bit

    px = pixels.prepare(args.image, args.fit_max_pixels, args.sample_seed, args.background)
    result = _fit_image(px, args, Path(args.image).stem, "native", init=None)
    if not result.ok:
        raise SystemExit(f"kmquant compress: the {args.impl} fit failed: {result.meta['message']}")
    png = images.encode_png(result.labels.reshape(px.shape), palette_8bit(result.centres))
    atomic.write_bytes(args.out, png)
    meta = result.meta
    logging.info(
        "%s: K = %d (%s, %s), PSNR %.2f dB, %d bytes",
        args.out,
        meta["k_effective"],
        args.impl,
        meta["status"],
        meta["psnr_db"],
        len(png),
    )


def _fit_module(impl: str) -> ModuleType:
    if impl == "python":
        from kmquant import fit_python

        return fit_python
    from kmquant import fit_r

    return fit_r


def _pixels(args: argparse.Namespace) -> None:
    from kmquant import pixels

    try:
        px = pixels.prepare(args.image, args.fit_max_pixels, args.sample_seed, args.background)
    except ImageError as error:
        logging.error("rejected: %s", error)
        pixels.save(pixels.rejection(str(error)), args.out)
        return
    logging.info(
        "%s: %d x %d pixels, max value %d, fit on %d rows",
        args.image,
        *px.shape,
        px.max_value,
        len(px.fit_rows),
    )
    pixels.save(px, args.out)


def _rejected_table(args: argparse.Namespace) -> None:
    from kmquant import pixels, tables

    rows = []
    for path in args.pixels:
        px = pixels.load(path)
        if px.rejected:
            rows.append({"image": Path(path).stem, "message": px.rejected})
    tables.write_table(args.out, ("image", "message"), rows)


def _init(args: argparse.Namespace) -> None:
    from kmquant import initial, pixels

    off_lattice = MODES[args.mode].off_lattice
    centres = initial.initial_centres(pixels.load(args.pixels), args.k, args.seed, off_lattice)
    initial.write_centres(centres, args.out)


def _agree(args: argparse.Namespace) -> None:
    from kmquant import agreement, fitting, initial, labelling, pixels

    python, r = fitting.load(args.python), fitting.load(args.r)
    record = agreement.compare(python, r)
    tied = None
    if args.init:
        px = pixels.load(args.pixels)
        init = initial.read_centres(args.init) * px.max_value  # exact for lattice colours
        tied = labelling.count_tied_pixels(px.fit_colours(), init)
        record["message"] = agreement.explain_shared_start(record, python, r, tied)
    ident = {key: python.meta[key] for key in ("image", "mode", "k_requested", "seed")}
    record = (
        ident
        | record
        | {
            "k_effective_python": python.meta["k_effective"],
            "k_effective_r": r.meta["k_effective"],
            "tied_initial_pixels": tied,
        }
    )
    atomic.write_text(args.out, json.dumps(record, sort_keys=True, indent=1) + "\n")


def _images(args: argparse.Namespace) -> None:
    from kmquant import fitting, images, pixels
    from kmquant.metrics import palette_8bit

    shape = pixels.load(args.pixels).shape
    with atomic.atomic_path(args.out, directory=True) as folder:
        for path in args.fits:
            result = fitting.load(path)
            if result.ok:
                png = images.encode_png(result.labels.reshape(shape), palette_8bit(result.centres))
                (folder / Path(path).with_suffix(".png").name).write_bytes(png)


def _differences(args: argparse.Namespace) -> None:
    from kmquant import images

    with atomic.atomic_path(args.out, directory=True) as folder:
        for python_png in sorted(Path(args.python).glob("*.png")):
            r_png = Path(args.r) / python_png.name
            if r_png.exists():
                python, r = (images.decode_png(p.read_bytes()) for p in (python_png, r_png))
                png = images.encode_original_png(images.amplified_difference(python, r), 255)
                (folder / python_png.name).write_bytes(png)


def _explorer(args: argparse.Namespace) -> None:
    from kmquant import explorer

    data = explorer.explorer_data(Path(args.results), Path(args.out).parent)
    atomic.write_text(args.out, explorer.render(data))


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
    )
    atomic.write_text(args.out, text)


def _fits_table(args: argparse.Namespace) -> None:
    from kmquant import fitting, tables

    rows = [fitting.load_meta(path) for path in args.fits]
    rows = [row | tables.png_sizes(row, Path(args.images)) for row in rows]
    tables.write_table(args.out, tables.FIT_COLUMNS, rows)


def _original(args: argparse.Namespace) -> None:
    from kmquant import images, pixels

    px = pixels.load(args.pixels)
    atomic.write_bytes(args.out, images.encode_original_png(px.rgb, px.max_value))


def _native_summary(args: argparse.Namespace) -> None:
    from kmquant import summary, tables

    rows = tables.read_csv(args.fits)
    tables.write_table(args.out, summary.SUMMARY_COLUMNS, summary.native_summary(rows))


def _converge(args: argparse.Namespace) -> None:
    from kmquant import convergence, fit_python, fit_r, fitting, initial, pixels

    px = pixels.load(args.pixels)
    init = initial.read_centres(args.init)
    trajectories, checks = {}, {}
    for impl, module, full_path in (("python", fit_python, args.python), ("r", fit_r, args.r)):
        full = fitting.load(full_path)
        trajectories[impl] = convergence.step_through(module.fit_lloyd, px, init, args.max_iter)
        checks[impl] = convergence.compare_with_full_run(trajectories[impl], full)
    ident = {key: full.meta[key] for key in ("image", "k_requested", "k_effective", "seed")}
    convergence.save(args.out, ident, trajectories, checks)


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


def _agreement_table(args: argparse.Namespace) -> None:
    from kmquant import tables

    rows = [tables.read_json(path) for path in args.records]
    tables.write_table(args.out, tables.AGREEMENT_COLUMNS, rows)


def _timings_table(args: argparse.Namespace) -> None:
    from kmquant import fitting, tables

    if len(args.fits) != len(args.benchmarks):
        raise SystemExit("timings-table: give one benchmark file per fit, in the same order")
    rows = [
        fitting.load_meta(fit) | tables.read_benchmark(bench)
        for fit, bench in zip(args.fits, args.benchmarks, strict=True)
    ]
    tables.write_table(args.out, tables.TIMING_COLUMNS, rows)


def _figure(args: argparse.Namespace) -> None:
    from kmquant import figures

    if args.figure == "metrics":
        figures.metric_figures(args.inputs[0], args.out)
    elif args.figure == "agreement":
        figures.agreement(figures.read_table(args.inputs[0]), args.out)
    elif args.figure == "timing":
        figures.timing(figures.read_table(args.inputs[0]), args.out)
    elif args.figure == "convergence":
        figures.convergence(
            figures.read_table(args.inputs[0]), figures.read_table(args.inputs[1]), args.out
        )
    elif args.figure == "images":
        original, images = args.inputs
        figures.images_figure(original, images, args.image, args.mode, args.seed, args.k, args.out)
    elif args.figure == "palettes":
        figures.palettes_figure(args.inputs[0], args.image, args.mode, args.seed, args.k, args.out)


def _manifest(args: argparse.Namespace) -> None:
    from kmquant import manifest

    manifest.write_manifest(args.out, args.paths)


def _environment(args: argparse.Namespace) -> None:
    from kmquant import environment

    text = json.dumps(environment.collect(), indent=2, sort_keys=True) + "\n"
    atomic.write_text(args.out, text)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kmquant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pixels", help="load an image into results/pixels/{image}.npz")
    p.add_argument("image")
    p.add_argument("out")
    p.add_argument("--fit-max-pixels", type=int, required=True)
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--background", default="#ffffff")
    p.set_defaults(run=_pixels)

    p = sub.add_parser("rejected-table", help="results/tables/rejected_images.csv")
    p.add_argument("out")
    p.add_argument("pixels", nargs="*")
    p.set_defaults(run=_rejected_table)

    shared = [name for name, mode in MODES.items() if mode.shared_start]
    p = sub.add_parser("init", help="the shared initial centres of the matched or tied mode")
    p.add_argument("pixels")
    p.add_argument("out")
    p.add_argument("--mode", choices=shared, required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(run=_init)

    p = sub.add_parser("fit", help="one K-means fit in Python or R")
    p.add_argument("pixels")
    p.add_argument("out")
    p.add_argument("--impl", choices=("python", "r"), required=True)
    p.add_argument("--mode", choices=list(MODES), required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--max-iter", type=int, required=True)
    p.add_argument("--init", help="initial centres CSV (matched and tied modes)")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(run=_fit)

    p = sub.add_parser(
        "compress",
        help="quantize one image to an indexed PNG of K colours (like pngquant)",
        description="Fit K colours to the image's fit sample with the language's own defaults "
        "(scikit-learn's k-means++ and Lloyd, or R's Hartigan-Wong), give every pixel its "
        "nearest colour and write the indexed PNG.",
    )
    p.add_argument("image")
    p.add_argument("out", help="the PNG to write")
    p.add_argument("--k", type=_positive, default=256, help="colours in the palette (256)")
    p.add_argument("--impl", choices=("python", "r"), default="python")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-iter", type=_positive, default=300)
    p.add_argument("--fit-max-pixels", type=_positive, default=300_000)
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--background", default="#ffffff", help="for transparent pixels")
    p.add_argument("--threads", type=int, default=None, help="default: all cores")
    p.set_defaults(run=_compress)

    p = sub.add_parser("agree", help="compare a Python fit with an R fit")
    p.add_argument("python")
    p.add_argument("r")
    p.add_argument("out")
    p.add_argument("--init", help="shared initial centres, to explain differences")
    p.add_argument("--pixels")
    p.set_defaults(run=_agree)

    p = sub.add_parser("images", help="write the indexed PNGs of successful fits")
    p.add_argument("pixels")
    p.add_argument("out")
    p.add_argument("fits", nargs="*")
    p.set_defaults(run=_images)

    p = sub.add_parser("differences", help="|Python - R| x 8 images of one mode and image")
    p.add_argument("python", help="results/images/python/{mode}/{image}")
    p.add_argument("r", help="results/images/r/{mode}/{image}")
    p.add_argument("out")
    p.set_defaults(run=_differences)

    p = sub.add_parser("explorer", help="results/report/explorer.html")
    p.add_argument("results", help="the results folder of a run")
    p.add_argument("out")
    p.set_defaults(run=_explorer)

    p = sub.add_parser("report-description", help="the Snakemake report's front page")
    p.add_argument("fits")
    p.add_argument("agreement")
    p.add_argument("environment")
    p.add_argument("out")
    p.add_argument("--max-iter", type=int, required=True)
    p.add_argument("--fit-max-pixels", type=int, required=True)
    p.add_argument("--fit-sample-seed", type=int, required=True)
    p.set_defaults(run=_report_description)

    p = sub.add_parser("fits-table", help="results/tables/fits.csv")
    p.add_argument("out")
    p.add_argument("--images", required=True, help="results/images, for real PNG sizes")
    p.add_argument("fits", nargs="*")
    p.set_defaults(run=_fits_table)

    p = sub.add_parser("agreement-table", help="results/tables/agreement.csv")
    p.add_argument("out")
    p.add_argument("records", nargs="*")
    p.set_defaults(run=_agreement_table)

    p = sub.add_parser("timings-table", help="results/tables/timings.csv")
    p.add_argument("out")
    p.add_argument("--fits", nargs="*", default=[])
    p.add_argument("--benchmarks", nargs="*", default=[])
    p.set_defaults(run=_timings_table)

    p = sub.add_parser("original", help="the original as an optimized RGB PNG")
    p.add_argument("pixels")
    p.add_argument("out")
    p.set_defaults(run=_original)

    p = sub.add_parser("native-summary", help="results/tables/native_summary.csv")
    p.add_argument("fits", help="results/tables/fits.csv")
    p.add_argument("out")
    p.set_defaults(run=_native_summary)

    p = sub.add_parser("converge", help="step both languages one Lloyd iteration at a time")
    p.add_argument("pixels")
    p.add_argument("init")
    p.add_argument("python", help="the full matched Python fit, to check the end point")
    p.add_argument("r", help="the full matched R fit")
    p.add_argument("out")
    p.add_argument("--max-iter", type=int, required=True)
    p.set_defaults(run=_converge)

    p = sub.add_parser("convergence-tables", help="results/tables/convergence*.csv")
    p.add_argument("iterations")
    p.add_argument("centres")
    p.add_argument("checks")
    p.add_argument("traces", nargs="*")
    p.set_defaults(run=_convergence_tables)

    p = sub.add_parser("figure", help="one figure (PNG and SVG) from result files")
    p.add_argument(
        "figure", choices=("metrics", "agreement", "timing", "convergence", "images", "palettes")
    )
    p.add_argument("out", help="file stem (folder for 'metrics')")
    p.add_argument("inputs", nargs="+", help="tables, or the original PNG and results/images")
    p.add_argument("--image")
    p.add_argument("--mode", default="matched")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, nargs="*", default=[])
    p.set_defaults(run=_figure)

    p = sub.add_parser("manifest", help="sha256 of every reproducible result file")
    p.add_argument("out")
    p.add_argument("paths", nargs="*", help="files, and folders whose files are all listed")
    p.set_defaults(run=_manifest)

    p = sub.add_parser("environment", help="results/environment.json")
    p.add_argument("out")
    p.set_defaults(run=_environment)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("rpy2").setLevel(logging.WARNING)  # R start-up chatter, not our results
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ImageError as error:  # bad input: one plain sentence, no traceback
        logging.error("%s", error)
        sys.exit(1)
