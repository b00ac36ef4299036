"""Publication figures from the result tables: one function per figure, PNG and SVG each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kmquant.atomic import atomic_path
from kmquant.colour import hex_colour
from kmquant.images import AMPLIFY, amplified_difference
from kmquant.modes import MODES
from kmquant.paths import Results

#: One colour per language in every figure (Okabe-Ito, safe for colour-blind readers).
COLOURS = {"python": "#0072B2", "r": "#D55E00"}
LABELS = {"python": "Python (scikit-learn)", "r": "R (stats::kmeans)"}
#: The reference quantizers in black and greys, each with its own line and marker.
REFERENCE_STYLES = {
    "pngquant": {"color": "black", "linestyle": "-", "marker": "s"},
    "libimagequant": {"color": "black", "linestyle": "--", "marker": "^"},
    "pillow_mediancut": {"color": "0.45", "linestyle": "-.", "marker": "v"},
    "pillow_maxcoverage": {"color": "0.45", "linestyle": ":", "marker": "D"},
    "pillow_fastoctree": {"color": "0.6", "linestyle": "--", "marker": "P"},
}
FORMATS = ("png", "svg")

plt.rcParams.update(
    {
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 150,
        "savefig.dpi": 200,
        "svg.hashsalt": "kmquant",  # the same SVG bytes on every run
    }
)


def save(figure: Figure, stem: str | Path) -> list[Path]:
    """Write `stem`.png and `stem`.svg atomically; return their paths."""
    paths = []
    for fmt in FORMATS:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=fmt, bbox_inches="tight", metadata=_metadata(fmt))
        paths.append(path)
    plt.close(figure)
    return paths


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation dates: reruns give the same files.
    return {"Date": None} if fmt == "svg" else {"Software": "kmquant"}


def _log_scale(ax: plt.Axes, values: pd.Series) -> None:
    """Log y axis where it can show something: positive values that are not all equal
    (a lossless image has SSE 0 at every K; a one-pixel image one file size ratio)."""
    positive = pd.to_numeric(values, errors="coerce")
    positive = positive[positive > 0]
    if len(positive) and positive.max() > positive.min():
        ax.set_yscale("log")


def _k_axis(ax: plt.Axes, ks: Sequence[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xlim(min(ks) / 1.25, max(ks) * 1.25)  # also when a panel has nothing to draw
    ax.set_xticks(list(ks))
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("palette size K (log2 scale)")


def _by_language_and_mode(ax: plt.Axes, fits: pd.DataFrame, column: str, ks: Sequence[int]) -> None:
    """Mean over seeds as a line, the range over seeds as a band, per language and mode.

    Fits that warned (no convergence, Quick-TRANSfer limit, ...) are marked with a cross;
    fits that failed, which have no value, with a triangle on the K axis.
    """
    done = fits[fits["status"] != "error"]
    for (impl, mode), group in done.groupby(["impl", "mode"], sort=True):
        stats = group.groupby("k_requested")[column].agg(["mean", "min", "max"])
        ax.plot(
            stats.index,
            stats["mean"],
            MODES[mode].linestyle,
            color=COLOURS[impl],
            marker="o",
            markersize=2.5,
            linewidth=1,
            label=f"{LABELS[impl]}, {mode}",
        )
        ax.fill_between(stats.index, stats["min"], stats["max"], color=COLOURS[impl], alpha=0.15)
    warned = done[done["status"] == "warning"]
    if len(warned):
        ax.scatter(warned["k_requested"], warned[column], marker="x", s=14, linewidths=0.8,
                   color="black", zorder=3, label="fit warned (see fits.csv)")  # fmt: skip
    failed = fits[fits["status"] == "error"]
    if len(failed):
        ax.scatter(failed["k_requested"], np.zeros(len(failed)), marker="v", s=18, color="black",
                   transform=ax.get_xaxis_transform(), clip_on=False, zorder=3,
                   label="fit failed (no value)")  # fmt: skip
    _k_axis(ax, ks)


def _references(
    ax: plt.Axes, references: pd.DataFrame, column: str, x: str = "k_requested"
) -> None:
    """One reference line per tool (mean over images where there are several)."""
    done = references[references["status"] != "error"]
    for method, group in done.groupby("method", sort=False):
        line = group.groupby("k_requested")[column].mean()
        ax.plot(line.index, line.values, markersize=2.5, linewidth=0.9, label=method,
                **REFERENCE_STYLES[method])  # fmt: skip


def metric_panels(
    fits: pd.DataFrame,
    panels: Sequence[tuple[str, str, str, bool]],
    title: str,
    stem: str | Path,
    references: pd.DataFrame | None = None,
) -> list[Path]:
    """One row per image, one column per (column, title, y label, log y) panel, against K;
    the reference quantizers, where given, as black and grey lines."""
    # A lossless fit has an infinite PSNR: it cannot be drawn, and the panel says so.
    fits = fits.replace([np.inf, -np.inf], np.nan)
    if references is not None:
        references = references.replace([np.inf, -np.inf], np.nan)
    images = sorted(fits["image"].unique())
    ks = sorted(fits["k_requested"].unique())
    figure, axes = plt.subplots(
        len(images), len(panels), figsize=(7, 2.3 * len(images)), squeeze=False
    )
    for row, image in enumerate(images):
        for col, (column, name, label, log) in enumerate(panels):
            ax = axes[row, col]
            _by_language_and_mode(ax, fits[fits["image"] == image], column, ks)
            if references is not None:
                _references(ax, references[references["image"] == image], column)
            ax.set_ylabel(label)
            values = fits.loc[fits["image"] == image, column]
            if log:
                _log_scale(ax, values)
            if values.isna().all():
                ax.text(0.5, 0.5, "no finite value (lossless at every K)", ha="center",
                        va="center", transform=ax.transAxes)  # fmt: skip
            ax.set_title(f"{image}: {name}")
            ax.grid(alpha=0.3, linewidth=0.5)
    legend = {}
    for ax in axes.flat:
        legend.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    labels, handles = list(legend), list(legend.values())
    figure.legend(handles, labels, loc="lower center", ncol=3, frameon=False,
                  bbox_to_anchor=(0.5, -0.02 / len(images)))  # fmt: skip
    figure.suptitle(title)
    figure.tight_layout(rect=(0, 0.06 / len(images) + 0.04, 1, 1))
    return save(figure, stem)


#: Exact agreement (distance 0, no pixel labelled differently) is drawn at these log-axis floors.
_FLOOR_8BIT = 1e-14
_FLOOR_SHARE = 1e-8
#: The rows of the agreement figure: (column, y label, floor, 'identical' threshold or None).
_AGREEMENT_ROWS = (
    ("max_centre_distance_8bit", "max matched centre distance\n(8-bit RGB units, log)",
     _FLOOR_8BIT, 255e-9),
    ("share_different_labels", "share of pixels labelled\ndifferently (log)", _FLOOR_SHARE, None),
)  # fmt: skip


def agreement(pairs: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Per mode (one column each, in the registry's order): how far the Python and R palettes
    lie apart and how many pixels they label differently, against K, log axes; each panel's
    title counts its identical pairs."""
    ok = pairs[pairs["status"] == "ok"].assign(
        share_different_labels=lambda d: 1.0 - d["share_equal_labels"]
    )
    modes = [mode for mode in MODES if mode in set(pairs["mode"])]
    ks = sorted(pairs["k_requested"].unique())
    figure, axes = plt.subplots(
        2, len(modes), figsize=(2.6 * len(modes) + 0.8, 4.6), sharey="row", squeeze=False
    )
    markers = dict(zip(sorted(pairs["image"].unique()), "osD^v<>", strict=False))
    for col, mode in enumerate(modes):
        subset = ok[ok["mode"] == mode]
        identical = int((pairs.loc[pairs["mode"] == mode, "verdict"] == "identical").sum())
        for row, (column, label, floor, threshold) in enumerate(_AGREEMENT_ROWS):
            ax = axes[row, col]
            for image, group in subset.groupby("image"):
                values = group[column].clip(lower=floor)
                finite = np.isfinite(values)
                ax.scatter(group["k_requested"][finite], values[finite], s=12, alpha=0.8,
                           marker=markers[image], facecolors="none", edgecolors="black",
                           linewidths=0.7, label=image)  # fmt: skip
            if threshold is not None:
                ax.axhline(threshold, color="grey", linewidth=0.6, linestyle=":")
                ax.text(ks[0], threshold * 1.6, "'identical' (1e-9 of full scale)", fontsize=6,
                        color="grey")  # fmt: skip
            ax.set_yscale("log")
            ax.set_ylim(floor / 3, 1e3 if threshold is not None else 2.0)
            _k_axis(ax, ks)
            ax.grid(alpha=0.3, linewidth=0.5)
            if col == 0:
                ax.set_ylabel(label)
        axes[0, col].set_title(
            f"{mode} mode: {identical} of {int((pairs['mode'] == mode).sum())} identical"
        )
    axes[0, 0].legend(title="image", loc="upper left", frameon=False)
    figure.suptitle("Python against R: how far apart do the two runs end?")
    figure.tight_layout()
    return save(figure, stem)


def timing(timings: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Fit seconds against K, per language and mode (mean over seeds and images), and each
    reference quantizer's seconds (mean over images)."""
    ks = sorted(timings["k_requested"].unique())
    figure, ax = plt.subplots(figsize=(3.5, 2.6))
    is_reference = timings["mode"] == "reference"
    _by_language_and_mode(ax, timings[~is_reference].assign(status="ok"), "fit_seconds", ks)
    references = timings[is_reference]
    _references(ax, references.assign(status="ok", method=references["impl"]), "fit_seconds")
    ax.set_yscale("log")
    ax.set_ylabel("fit time (seconds, log scale)")
    ax.set_title("Time of one fit, measured in one run")
    ax.grid(alpha=0.3, linewidth=0.5)
    ax.legend(frameon=False, loc="upper left")
    figure.tight_layout()
    return save(figure, stem)


def convergence(trace: pd.DataFrame, centres: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Per traced run: SSE per iteration (both languages) and centre paths in RGB space."""
    runs = list(trace.groupby(["image", "k_requested", "seed"], sort=True))
    figure = plt.figure(figsize=(7, 2.8 * len(runs)))
    for row, ((image, k, seed), group) in enumerate(runs):
        ax = figure.add_subplot(len(runs), 2, 2 * row + 1)
        for impl, lines in group.groupby("impl"):
            ax.plot(lines["iteration"], lines["sse"], color=COLOURS[impl], label=LABELS[impl],
                    linewidth=2.4 if impl == "python" else 1.0,
                    linestyle="-" if impl == "python" else "--")  # fmt: skip
        _log_scale(ax, group["sse"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Lloyd iteration")
        ax.set_ylabel("SSE (8-bit units squared, log)")
        ax.set_title(f"{image}, K = {k}, seed {seed}: SSE per iteration")
        ax.legend(frameon=False)
        ax.grid(alpha=0.3, linewidth=0.5)
        ax3 = figure.add_subplot(len(runs), 2, 2 * row + 2, projection="3d")
        paths = centres[
            (centres["image"] == image) & (centres["k_requested"] == k) & (centres["seed"] == seed)
        ]
        for (impl, _), path in paths.groupby(["impl", "cluster"]):
            path = path.sort_values("iteration")
            xyz = path[["red", "green", "blue"]].to_numpy()
            ax3.plot(*xyz.T, color=COLOURS[impl], linewidth=0.9 if impl == "python" else 0.6,
                     linestyle="-" if impl == "python" else "--")  # fmt: skip
            final = np.clip(xyz[-1] / 255, 0, 1)
            ax3.scatter(*xyz[-1], color=final, edgecolors="black", s=18, linewidths=0.4)
            ax3.scatter(*xyz[0], color="white", edgecolors="grey", s=8, linewidths=0.4)
        ax3.set_xlabel("R")
        ax3.set_ylabel("G")
        ax3.set_zlabel("B")
        ax3.set_title("centre paths (start: white, end: own colour)")
    figure.tight_layout()
    return save(figure, stem)


def image_grid(
    original: np.ndarray,
    quantized: dict[int, tuple[np.ndarray | None, np.ndarray | None]],
    title: str,
    stem: str | Path,
    reference: tuple[str, dict[int, np.ndarray | None]] | None = None,
    amplify: int = AMPLIFY,
) -> list[Path]:
    """Rows K; columns original | Python | R | |Python - R| x `amplify` (black: equal), and
    a reference quantizer's output at the same K where one is given as (name, {K: pixels})."""
    ks = sorted(quantized)
    height, width = original.shape[:2]
    titles = ["original", LABELS["python"], LABELS["r"], f"|Python - R| x {amplify}"]
    if reference is not None:
        titles.append(reference[0])
    n_cols = len(titles)
    figure, axes = plt.subplots(
        len(ks), n_cols,
        figsize=(7 / 4 * n_cols, 7 / 4 * height / width * len(ks) + 0.4), squeeze=False,
    )  # fmt: skip
    for row, k in enumerate(ks):
        python, r = quantized[k]
        difference = None
        if python is not None and r is not None:
            difference = amplified_difference(python, r, amplify)
        panels = [original, python, r, difference]
        if reference is not None:
            panels.append(reference[1].get(k))
        for col, picture in enumerate(panels):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if picture is None:
                missing = "no output" if col == 4 else "fit failed"
                ax.text(0.5, 0.5, missing, ha="center", va="center", transform=ax.transAxes)
            else:
                ax.imshow(picture, interpolation="nearest")
            if row == 0:
                ax.set_title(titles[col])
        axes[row, 0].set_ylabel(f"K = {k}")
    figure.suptitle(title)
    figure.tight_layout()
    return save(figure, stem)


def palettes(
    rows: list[tuple[int, np.ndarray, np.ndarray]], title: str, stem: str | Path
) -> list[Path]:
    """Swatches with hex codes: for each K, the Python palette above the R palette, matched
    colour to colour (column j of both rows is the Hungarian pair)."""
    n_cols = max(len(p) for _, p, _ in rows)
    figure, ax = plt.subplots(figsize=(7, 0.2 + 0.62 * len(rows) * max(1, n_cols / 16)))
    y = 0.0
    cols = 16
    for k, python, r in rows:
        for name, palette in (("Py", python), ("R", r)):
            for j, colour in enumerate(palette):
                x, dy = j % cols, j // cols
                cell = (x, -(y + dy))
                ax.add_patch(plt.Rectangle(cell, 0.95, 0.9, color=np.asarray(colour) / 255))
                light = np.dot(colour, [0.299, 0.587, 0.114]) > 140
                ax.text(x + 0.47, -(y + dy) + 0.45, hex_colour(colour), ha="center",
                        va="center", fontsize=4.2, color="black" if light else "white",
                        family="monospace")  # fmt: skip
            ax.text(-0.2, -y + 0.45, f"K={k} {name}", ha="right", va="center", fontsize=6)
            y += max(1, int(np.ceil(len(palette) / cols)))
        y += 0.4
    ax.set_xlim(-2.2, cols)
    ax.set_ylim(-y, 1)
    ax.axis("off")
    ax.set_title(title)
    figure.tight_layout()
    return save(figure, stem)


# Figures from result files: what the workflow's figure rules call.


def read_table(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path)


METRIC_FIGURES = {
    "elbow": (
        "Elbow: distortion and variance explained against K",
        [
            ("sse", "SSE", "SSE (8-bit units², log)", True),
            ("variance_explained", "variance explained", "share of colour variance", False),
        ],
    ),
    "quality": (
        "Quality of the compressed image against K",
        [
            ("psnr_db", "PSNR", "PSNR (dB)", False),
            ("mean_ciede2000", "mean CIEDE2000", "mean ΔE00", False),
            ("ssim", "SSIM", "SSIM", False),
        ],
    ),
    "storage": (
        "Storage: what each K saves",
        [
            ("ratio_theoretical", "theoretical ratio: 24-bit RGB / (palette + indices)",
             "compression ratio", False),
            ("png_size_ratio", "real ratio: optimized RGB PNG / indexed PNG",
             "file size ratio (log)", True),
        ],
    ),
}  # fmt: skip


def metric_figures(
    fits_csv: str | Path, folder: str | Path, reference_csv: str | Path | None = None
) -> list[Path]:
    fits = pd.read_csv(fits_csv)
    references = None if reference_csv is None else pd.read_csv(reference_csv)
    if references is not None and references.empty:
        references = None
    return [
        path
        for name, (title, panels) in METRIC_FIGURES.items()
        for path in metric_panels(fits, panels, title, Path(folder) / name, references)
    ]


#: The panels of the rate-distortion figure: (column, title, y label).
RATE_PANELS = (
    ("psnr_db", "PSNR", "PSNR (dB)"),
    ("mean_ciede2000", "mean CIEDE2000", "mean ΔE00 (lower is better)"),
    ("ssim", "SSIM", "SSIM"),
)


def rate_distortion_figure(points: pd.DataFrame, mode: str) -> Figure:
    """One row per image, one panel per quality metric against the bits per pixel of the real
    indexed PNG (log axis): one line per method through its K values, and the original's
    optimized RGB PNG as a dotted vertical line."""
    points = points.replace([np.inf, -np.inf], np.nan)
    images = sorted(points["image"].unique())
    n_rows = max(len(images), 1)
    figure, axes = plt.subplots(n_rows, len(RATE_PANELS), figsize=(7, 2.4 * n_rows), squeeze=False)
    for row, image in enumerate(images):
        subset = points[points["image"] == image]
        for col, (column, name, label) in enumerate(RATE_PANELS):
            ax = axes[row, col]
            for method, line in subset.groupby("method", sort=True):
                line = line.sort_values("k_requested")
                style = REFERENCE_STYLES.get(method) or {"color": COLOURS[method], "marker": "o"}
                text = f"{LABELS[method]}, {mode}" if method in LABELS else method
                ax.plot(line["bits_per_pixel"], line[column], markersize=2.5, linewidth=1,
                        label=text, gid=f"method:{method}", **style)  # fmt: skip
            ax.axvline(subset["original_bits_per_pixel"].iloc[0], color="0.3", linestyle=":",
                       linewidth=0.8, label="original (RGB PNG)")  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlabel("bits per pixel of the PNG (log)")
            ax.set_ylabel(label)
            ax.set_title(f"{image}: {name}")
            ax.grid(alpha=0.3, linewidth=0.5)
    legend = {}
    for ax in axes.flat:
        legend.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    figure.legend(list(legend.values()), list(legend), loc="lower center", ncol=3,
                  frameon=False, bbox_to_anchor=(0.5, -0.02 / n_rows))  # fmt: skip
    figure.suptitle("What a byte buys: quality against the size of the indexed PNG")
    figure.tight_layout(rect=(0, 0.06 / n_rows + 0.04, 1, 1))
    return figure


def rate_distortion(rate_csv: str | Path, stem: str | Path, mode: str) -> list[Path]:
    return save(rate_distortion_figure(pd.read_csv(rate_csv), mode), stem)


#: Panels of the image grids are at most this many pixels on their longest side.
PANEL_MAX_SIDE = 1200


def _png_pixels(path: Path, max_side: int = PANEL_MAX_SIDE) -> np.ndarray | None:
    """The RGB pixels of a PNG, subsampled (nearest: only colours of the palette) when a side
    is longer than `max_side`, so that a figure of camera photos stays small."""
    if not path.exists():
        return None
    from PIL import Image

    with Image.open(path) as im:
        step = -(-max(im.size) // max_side)  # ceiling division
        return np.asarray(im.convert("RGB"))[::step, ::step].copy()


def images_figure(
    results: Results, image: str, mode: str, seed: int, ks: Sequence[int], stem: str | Path,
    reference: str | None = None,
) -> list[Path]:  # fmt: skip
    """The image grid of one image from a run's written PNGs, with a reference quantizer's
    PNGs beside them where one is named."""
    original = _png_pixels(results.original(image))
    quantized = {
        k: tuple(_png_pixels(results.image(impl, mode, image, k, seed)) for impl in ("python", "r"))
        for k in ks
    }
    beside = None
    if reference is not None:
        shown = {k: _png_pixels(results.reference_png(reference, image, k)) for k in ks}
        beside = (reference, shown)
    title = f"{image}: {mode} mode, seed {seed}"
    return image_grid(original, quantized, title, stem, beside)  # type: ignore[arg-type]


def palettes_figure(
    results: Results, image: str, mode: str, seed: int, ks: Sequence[int], stem: str | Path
) -> list[Path]:
    """Python and R palettes of one image, R's reordered to match Python's colour to colour."""
    from kmquant.agreement import matched_palettes
    from kmquant.fitting import load

    rows = []
    for k in ks:
        python, r = (
            load(results.fit(impl, mode, image, k, seed), labels=False) for impl in ("python", "r")
        )
        if python.ok and r.ok:
            rows.append((k, *matched_palettes(python.centres, r.centres)))
    return palettes(rows, f"{image}: palettes, {mode} mode, seed {seed} (Py above R)", stem)
