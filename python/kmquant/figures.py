"""Publication figures from the result tables: one function builds each figure, `save` writes
it as PNG and SVG, and FIGURES, the registry of every figure drawn from tables, says what the
workflow and its report need of each (its tables, mode, report category and caption)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from kmquant.agreement import CENTRE_TOLERANCE
from kmquant.atomic import atomic_path
from kmquant.colour import hex_colour
from kmquant.images import AMPLIFY
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, ordered
from kmquant.modes import MODES, figure_mode, rate_mode
from kmquant.over_images import REFERENCE
from kmquant.paths import Inputs
from kmquant.reference import QUANTIZERS, LineStyle
from kmquant.reference import ordered as ordered_quantizers
from kmquant.scoring import METRICS, RANKED
from kmquant.spaces import RGB, SPACES
from kmquant.tables import SPACE_COLUMNS, SRGB

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: One colour, marker and label per implementation in every figure, from the registry.
COLOURS = {name: entry.colour for name, entry in IMPLEMENTATIONS.items()}
MARKERS = {name: entry.marker for name, entry in IMPLEMENTATIONS.items()}
LABELS = {name: entry.label for name, entry in IMPLEMENTATIONS.items()}


FORMATS = ("png", "svg")


@cache
def pyplot() -> ModuleType:
    """matplotlib's pyplot, without a display and with the study's style; imported when the
    first figure is drawn, so that reading FIGURES (as the workflow does) imports no plotting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    return plt


def save(figure: Figure, stem: str | Path) -> list[Path]:
    """Write `stem`.png and `stem`.svg atomically; return their paths."""
    paths = []
    for fmt in FORMATS:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=fmt, bbox_inches="tight", metadata=_metadata(fmt))
        paths.append(path)
    pyplot().close(figure)
    return paths


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation dates: reruns give the same files.
    return {"Date": None} if fmt == "svg" else {"Software": "kmquant"}


def _figure(width: float, height: float) -> Figure:
    """A figure whose layout keeps every label, title and legend clear of the others."""
    return pyplot().figure(figsize=(width, height), layout="constrained")


def _legend_below(figure: Figure, ncols: int = 3) -> None:
    """One legend for every axes of the figure, below them all (outside every axes, so that it
    covers neither data nor labels)."""
    entries: dict[str, Artist] = {}
    for ax in figure.axes:
        entries.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    if entries:
        figure.legend(
            list(entries.values()),
            list(entries),
            loc="outside lower center",
            ncols=ncols,
            frameon=False,
        )


def _log_scale(ax: Axes, values: pd.Series) -> None:
    """Log y axis where it can show something: positive values that are not all equal
    (a lossless image has SSE 0 at every K; a one-pixel image one file size ratio)."""
    positive = np.asarray(values, dtype=float)
    positive = positive[positive > 0]
    if len(positive) and positive.max() > positive.min():
        ax.set_yscale("log")


def _k_axis(ax: Axes, ks: Sequence[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xlim(min(ks) / 1.25, max(ks) * 1.25)  # also when a panel has nothing to draw
    ax.set_xticks(list(ks))
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("palette size K (log2 scale)")


def _by_implementation(ax: Axes, fits: pd.DataFrame, column: str, ks: Sequence[int]) -> None:
    """Mean over seeds as a line, the range over seeds as a band, per implementation, each in
    its own colour and marker.

    Fits that warned (no convergence, Quick-TRANSfer limit, ...) are marked with a cross;
    fits that failed, which have no value, with a triangle on the K axis.
    """
    done = fits[fits["status"] != "error"]
    for impl in ordered(list(done["impl"].unique())):
        stats = (
            done[done["impl"] == impl].groupby("k_requested")[column].agg(["mean", "min", "max"])
        )
        ax.plot(
            stats.index,
            stats["mean"],
            color=COLOURS[impl],
            marker=MARKERS[impl],
            markersize=2.5,
            linewidth=1,
            label=LABELS[impl],
        )
        ax.fill_between(stats.index, stats["min"], stats["max"], color=COLOURS[impl], alpha=0.15)
    warned = done[done["status"] == "warning"]
    if len(warned):
        ax.scatter(
            warned["k_requested"],
            warned[column],
            marker="x",
            s=14,
            linewidths=0.8,
            color="black",
            zorder=3,
            label="fit warned (see fits.csv)",
        )
    failed = fits[fits["status"] == "error"]
    if len(failed):
        ax.scatter(
            failed["k_requested"],
            np.zeros(len(failed)),
            marker="v",
            s=18,
            color="black",
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            zorder=3,
            label="fit failed (no value)",
        )
    _k_axis(ax, ks)


def _references(ax: Axes, references: pd.DataFrame, column: str) -> None:
    """One reference line per tool (mean over images where there are several)."""
    done = references[references["status"] != "error"]
    for method, group in done.groupby("method", sort=False):
        line = group.groupby("k_requested")[column].mean()
        ax.plot(
            line.index,
            line.values,
            markersize=2.5,
            linewidth=0.9,
            label=method,
            **QUANTIZERS[method].style,
        )


def metric_panels(
    fits: pd.DataFrame,
    panels: Sequence[tuple[str, str, str, bool]],
    title: str,
    references: pd.DataFrame | None = None,
) -> Figure:
    """One row per image, one column per (column, title, y label, log y) panel, against K:
    one line per implementation; the reference quantizers, where given, as black and grey
    lines."""
    # A lossless fit has an infinite PSNR: it cannot be drawn, and the panel says so.
    fits = fits.replace([np.inf, -np.inf], np.nan)
    if references is not None:
        references = references.replace([np.inf, -np.inf], np.nan)
    images = sorted(fits["image"].unique())
    ks = sorted(fits["k_requested"].unique())
    figure = _figure(7, 2.3 * len(images) + 0.9)
    axes = figure.subplots(len(images), len(panels), squeeze=False)
    for row, image in enumerate(images):
        for col, (column, name, label, log) in enumerate(panels):
            ax = axes[row, col]
            _by_implementation(ax, fits[fits["image"] == image], column, ks)
            if references is not None:
                _references(ax, references[references["image"] == image], column)
            ax.set_ylabel(label)
            values = fits.loc[fits["image"] == image, column]
            if log:
                _log_scale(ax, values)
            if values.isna().all():
                ax.text(
                    0.5,
                    0.5,
                    "no finite value\n(lossless at every K)",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                )
            ax.set_title(f"{image}: {name}")
            ax.grid(alpha=0.3, linewidth=0.5)
    _legend_below(figure)
    figure.suptitle(title)
    return figure


def _panel(metric: str, log: bool = False) -> tuple[str, str, str, bool]:
    """A panel of one metric of kmquant.scoring: (column, title, axis label, log axis)."""
    label = METRICS[metric].axis_label
    return metric, METRICS[metric].label, f"{label}, log" if log else label, log


METRIC_FIGURES = {
    "elbow": (
        "Elbow: distortion and variance explained against K",
        [_panel("sse", log=True), _panel("variance_explained")],
    ),
    "quality": ("Quality of the compressed image against K", [_panel(m) for m in RANKED]),
    "storage": (
        "Storage: what each K saves",
        [
            ("ratio_theoretical", "theoretical ratio:\n24-bit RGB / (palette + indices)",
             "compression ratio", False),
            ("png_size_ratio", "real ratio:\noptimized RGB PNG / indexed PNG",
             "file size ratio (log)", True),
        ],
    ),
}  # fmt: skip


def metric_figure(name: str, fits: pd.DataFrame, references: pd.DataFrame, mode: str) -> Figure:
    """One of METRIC_FIGURES: every implementation's fits in `mode` (each with the mean and
    range over its seeds) and the reference quantizers."""
    title, panels = METRIC_FIGURES[name]
    shown = fits[fits["mode"] == mode]
    refs = None if references.empty else references
    return metric_panels(shown, panels, f"{title} ({mode} mode)", refs)


#: Exact agreement (distance 0, no pixel labelled differently) is drawn at these log-axis floors.
_FLOOR_8BIT = 1e-14
_FLOOR_SHARE = 1e-8
#: Centres closer than this (8-bit units) are the same centres.
_IDENTICAL_8BIT = 255.0 * CENTRE_TOLERANCE
#: The rows of the agreement figure: (column, y label, floor, 'identical' threshold or None).
_AGREEMENT_ROWS = (
    ("max_centre_distance_8bit", "max matched centre distance\n(8-bit RGB units, log)",
     _FLOOR_8BIT, _IDENTICAL_8BIT),
    ("share_different_labels", "share of pixels labelled\ndifferently (log)", _FLOOR_SHARE, None),
)  # fmt: skip


def _headline(pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[(pairs["impl_a"] == HEADLINE[0]) & (pairs["impl_b"] == HEADLINE[1])]


def agreement_figure(pairs: pd.DataFrame) -> Figure:
    """Per mode (one column each, in the registry's order): how far the palettes of the
    headline pair (Python and R) lie apart and how many pixels they label differently, against
    K, log axes; each panel's title counts its identical pairs."""
    pairs = _headline(pairs)
    ok = pairs[pairs["status"] == "ok"].assign(
        share_different_labels=lambda d: 1.0 - d["share_equal_labels"]
    )
    modes = [mode for mode in MODES if mode in set(pairs["mode"])]
    ks = sorted(pairs["k_requested"].unique()) or [1]
    figure = _figure(2.6 * max(len(modes), 1) + 0.8, 5.0)
    axes = figure.subplots(2, max(len(modes), 1), sharey="row", squeeze=False)
    markers = dict(zip(sorted(pairs["image"].unique()), "osD^v<>", strict=False))
    for col, mode in enumerate(modes):
        subset = ok[ok["mode"] == mode]
        identical = int((pairs.loc[pairs["mode"] == mode, "verdict"] == "identical").sum())
        for row, (column, label, floor, threshold) in enumerate(_AGREEMENT_ROWS):
            ax = axes[row, col]
            for image, group in subset.groupby("image"):
                values = group[column].clip(lower=floor)
                finite = np.isfinite(values)
                ax.scatter(
                    group["k_requested"][finite],
                    values[finite],
                    s=12,
                    alpha=0.8,
                    marker=markers[image],
                    facecolors="none",
                    edgecolors="black",
                    linewidths=0.7,
                    label=image,
                )
            if threshold is not None:
                ax.axhline(
                    threshold,
                    color="grey",
                    linewidth=0.6,
                    linestyle=":",
                    label="'identical' (1e-9 of full scale)",
                )
            ax.set_yscale("log")
            ax.set_ylim(floor / 3, 1e3 if threshold is not None else 2.0)
            _k_axis(ax, ks)
            ax.grid(alpha=0.3, linewidth=0.5)
            if col == 0:
                ax.set_ylabel(label)
        axes[0, col].set_title(
            f"{mode} mode: {identical} of {int((pairs['mode'] == mode).sum())} identical"
        )
    _legend_below(figure, ncols=4)
    a, b = (LABELS[name] for name in HEADLINE)
    figure.suptitle(f"{a} against {b}: how far apart do the two runs end?")
    return figure


def _worst(pairs: pd.DataFrame, names: Sequence[str], column: str, floor: float) -> np.ndarray:
    """An implementations x implementations matrix of the largest `column` over the pairs'
    images and seeds, symmetric, NaN where a pair did not run, at least `floor`."""
    matrix = np.full((len(names), len(names)), np.nan)
    index = {name: i for i, name in enumerate(names)}
    for (a, b), group in pairs.groupby(["impl_a", "impl_b"]):
        value = max(float(group[column].max()), floor)
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


def matrix_figure(pairs: pd.DataFrame) -> Figure:
    """The agreement matrix: per K (columns) and shared-start mode (rows: matched, then tied),
    implementations against implementations; below the diagonal the largest share of pixels
    two implementations label differently, above it the largest distance between their
    matched centres (8-bit units), each the worst over images and seeds, on log colour
    scales. White cells are exact agreement (no pixel, or no distance beyond 1e-9 of full
    scale); grey cells did not run."""
    ok = pairs[pairs["status"] == "ok"].assign(
        share_different_labels=lambda d: 1.0 - d["share_equal_labels"],
        distance=lambda d: d["max_centre_distance_8bit"].replace(np.inf, 1e3),
    )
    modes = [mode for mode in MODES if MODES[mode].shared_start and mode in set(ok["mode"])]
    ks = sorted(ok["k_requested"].unique())
    names = ordered(list(ok["impl_a"]) + list(ok["impl_b"]))
    figure = _figure(max(1.1 * len(ks) + 0.9, 5.0), 1.35 * max(len(modes), 1) + 2.0)
    axes = figure.subplots(max(len(modes), 1), max(len(ks), 1), squeeze=False)
    from matplotlib.colors import ListedColormap, LogNorm

    plt = pyplot()
    share_norm, distance_norm = LogNorm(_FLOOR_SHARE, 1.0), LogNorm(_IDENTICAL_8BIT, 1e3)
    # Exact agreement (below the floor) is white; cells left out show the grey background.
    share_map = plt.get_cmap("Oranges").with_extremes(under="white", bad=(0, 0, 0, 0))
    distance_map = plt.get_cmap("Purples").with_extremes(under="white", bad=(0, 0, 0, 0))
    lower = np.tril(np.ones((len(names), len(names)), dtype=bool), -1)
    shown = {}
    for row, mode in enumerate(modes):
        for col, k in enumerate(ks):
            ax = axes[row, col]
            subset = ok[(ok["mode"] == mode) & (ok["k_requested"] == k)]
            share = _worst(subset, names, "share_different_labels", _FLOOR_SHARE / 2)
            distance = _worst(subset, names, "distance", _IDENTICAL_8BIT / 2)
            ax.set_facecolor("0.85")
            ax.imshow(
                np.ma.masked_where(~np.eye(len(names), dtype=bool), np.eye(len(names))),
                cmap=ListedColormap(["0.45"]),
            )
            shown["share"] = ax.imshow(
                np.ma.masked_where(~lower, share), cmap=share_map, norm=share_norm
            )
            shown["distance"] = ax.imshow(
                np.ma.masked_where(~lower.T, distance), cmap=distance_map, norm=distance_norm
            )
            ax.set_xticks(
                range(len(names)), names if row == len(modes) - 1 else [], rotation=90, fontsize=6
            )
            ax.set_yticks(range(len(names)), names if col == 0 else [], fontsize=6)
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(f"K = {k}" if row == 0 else "")
            if col == 0:
                ax.set_ylabel(f"{mode} mode")
    if shown:
        for key, label in (
            ("share", "share of pixels labelled differently (below the diagonal)"),
            ("distance", "max matched centre distance, 8-bit (above the diagonal)"),
        ):
            figure.colorbar(
                shown[key], ax=axes, location="bottom", shrink=0.6, aspect=40, label=label
            )
    figure.suptitle(
        "Which implementations reach the same fit from the same start\n"
        "(the worst over images and seeds; white: exact agreement; light grey: not run)"
    )
    return figure


def timing_figure(timings: pd.DataFrame, mode: str) -> Figure:
    """Seconds of one fit against K per implementation in `mode` (mean over seeds and images),
    and each reference quantizer's seconds (mean over images)."""
    ks = sorted(timings["k_requested"].unique())
    figure = _figure(5.0, 3.6)
    ax = figure.subplots()
    is_reference = timings["mode"] == "reference"
    fits = timings[(timings["mode"] == mode) & ~is_reference].assign(status="ok")
    _by_implementation(ax, fits, "fit_seconds", ks)
    references = timings[is_reference]
    _references(ax, references.assign(status="ok", method=references["impl"]), "fit_seconds")
    ax.set_yscale("log")
    ax.set_ylabel("fit time (seconds, log scale)")
    ax.set_title(f"Time of one fit ({mode} mode), measured in one run")
    ax.grid(alpha=0.3, linewidth=0.5)
    _legend_below(figure)
    return figure


def convergence_figure(trace: pd.DataFrame, centres: pd.DataFrame) -> Figure:
    """Per traced run: SSE per iteration (each implementation) and centre paths in RGB space."""
    from matplotlib.ticker import MaxNLocator

    runs = list(trace.groupby(["image", "k_requested", "seed"], sort=True))
    figure = _figure(7, 2.8 * max(len(runs), 1) + 0.4)
    for row, ((image, k, seed), group) in enumerate(runs):
        ax = figure.add_subplot(len(runs), 2, 2 * row + 1)
        for impl, lines in group.groupby("impl"):
            first = impl == HEADLINE[0]
            ax.plot(
                lines["iteration"],
                lines["sse"],
                color=COLOURS[impl],
                label=LABELS[impl],
                linewidth=2.4 if first else 1.0,
                linestyle="-" if first else "--",
            )
        _log_scale(ax, group["sse"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations
        ax.set_xlabel("Lloyd iteration")
        ax.set_ylabel("SSE (8-bit units squared, log)")
        ax.set_title(f"{image}, K = {k}, seed {seed}: SSE per iteration")
        ax.grid(alpha=0.3, linewidth=0.5)
        ax3 = figure.add_subplot(len(runs), 2, 2 * row + 2, projection="3d")
        paths = centres[
            (centres["image"] == image) & (centres["k_requested"] == k) & (centres["seed"] == seed)
        ]
        for (impl, _), path in paths.groupby(["impl", "cluster"]):
            path = path.sort_values("iteration")
            xyz = path[["red", "green", "blue"]].to_numpy()
            first = impl == HEADLINE[0]
            ax3.plot(
                *xyz.T,
                color=COLOURS[impl],
                linewidth=0.9 if first else 0.6,
                linestyle="-" if first else "--",
            )
            final = np.clip(xyz[-1] / 255, 0, 1)
            ax3.scatter(*xyz[-1], color=final, edgecolors="black", s=18, linewidths=0.4)
            ax3.scatter(*xyz[0], color="white", edgecolors="grey", s=8, linewidths=0.4)
        ax3.set_xlabel("R")
        ax3.set_ylabel("G")
        ax3.set_zlabel("B")
        ax3.set_title("centre paths (start: white, end: own colour)")
    _legend_below(figure)
    return figure


#: A line of a figure: an implementation in a colour space, or a reference quantizer ("").
Method = tuple[str, str]


def _methods(table: pd.DataFrame) -> list[Method]:
    """The (method, space) of a table of methods, in the registries' order: the
    implementations, each in its spaces, then the reference quantizers."""
    found = set(zip(table["method"], table["space"], strict=True))
    impls = [(name, space) for name in ordered([n for n, _ in found]) for space in SPACES]
    quantizers = ordered_quantizers([name for name, space in found if not space])
    return [method for method in impls if method in found] + [(name, "") for name in quantizers]


def _method_line(method: Method, mode: str) -> tuple[LineStyle | dict[str, str], str]:
    """The line style and legend text of a method of the rate-distortion figure: a reference
    quantizer as its registry entry draws it, an implementation in its colour and marker with
    the mode of its fits, in its space's line style and, outside sRGB, named with its space."""
    name, space = method
    if name in QUANTIZERS:
        return QUANTIZERS[name].style, name
    text = f"{LABELS[name]}, {mode}" + ("" if space == RGB else f", {SPACES[space].label}")
    style = {"color": COLOURS[name], "marker": MARKERS[name], "linestyle": SPACES[space].linestyle}
    return style, text


def _gid(method: Method) -> str:
    """The id of a method's line in the SVG."""
    name, space = method
    return f"method:{name}" + ("" if space in (RGB, "") else f":{space}")


def rate_distortion_figure(points: pd.DataFrame, mode: str) -> Figure:
    """One row per image, one panel per quality metric against the bits per pixel of the real
    indexed PNG (log axis): one line per method through its K values (the implementations in
    `mode`, each in every colour space it ran), and the original's optimized RGB PNG as a
    dotted vertical line."""
    points = points.replace([np.inf, -np.inf], np.nan)
    images = sorted(points["image"].unique())
    n_rows = max(len(images), 1)
    figure = _figure(7, 2.4 * n_rows + 1.0)
    panels = [_panel(metric) for metric in RANKED]
    axes = figure.subplots(n_rows, len(panels), squeeze=False)
    methods = _methods(points)
    for row, image in enumerate(images):
        subset = points[points["image"] == image]
        for col, (column, name, label, _) in enumerate(panels):
            ax = axes[row, col]
            for method in methods:
                line = subset[(subset["method"] == method[0]) & (subset["space"] == method[1])]
                line = line.sort_values("k_requested")
                if line.empty:
                    continue
                style, text = _method_line(method, mode)
                ax.plot(
                    line["bits_per_pixel"],
                    line[column],
                    markersize=2.5,
                    linewidth=1,
                    label=text,
                    gid=_gid(method),
                    **style,
                )
            ax.axvline(
                subset["original_bits_per_pixel"].iloc[0],
                color="0.3",
                linestyle=":",
                linewidth=0.8,
                label="original (RGB PNG)",
            )
            ax.set_xscale("log")
            ax.set_xlabel("bits per pixel of the PNG (log)")
            ax.set_ylabel(label)
            ax.set_title(f"{image}: {name}")
            ax.grid(alpha=0.3, linewidth=0.5)
    _legend_below(figure)
    figure.suptitle("What a byte buys: quality against the size of the indexed PNG")
    return figure


def _median_line(
    ax: Axes,
    x: pd.Series,
    median: pd.Series,
    band: tuple[pd.Series, pd.Series],
    method: Method,
    mode: str,
) -> None:
    """One method's median over images as a line, its interquartile range as a band."""
    style, text = _method_line(method, mode)
    ax.plot(x, median, markersize=2.5, linewidth=1, label=text, gid=_gid(method), **style)
    ax.fill_between(x, band[0], band[1], color=style["color"], alpha=0.12, linewidth=0)


def quality_over_images_figure(over: pd.DataFrame, mode: str) -> Figure:
    """Per ranked metric, against K: each method's median over the images (line) and
    interquartile range (band), the implementations in `mode` and the reference quantizers
    (over_images.csv)."""
    over = over.replace([np.inf, -np.inf], np.nan)
    ks = sorted(over["k_requested"].unique()) or [1]
    panels = [_panel(metric) for metric in RANKED]
    figure = _figure(7, 3.2)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    over = over[over["mode"].isin([mode, REFERENCE])]
    for ax, (metric, name, label, _) in zip(axes, panels, strict=True):
        rows = over[over["metric"] == metric]
        for method in _methods(over):
            line = rows[(rows["method"] == method[0]) & (rows["space"] == method[1])]
            line = line.sort_values("k_requested")
            _median_line(
                ax, line["k_requested"], line["median"], (line["q1"], line["q3"]), method, mode
            )
        _k_axis(ax, ks)
        ax.set_ylabel(label)
        ax.set_title(name)
        ax.grid(alpha=0.3, linewidth=0.5)
    n = int(over["n_images"].max()) if len(over) else 0
    _legend_below(figure)
    figure.suptitle(f"Quality against K over {n} images: median and interquartile range")
    return figure


def rate_distortion_over_images_figure(points: pd.DataFrame, mode: str) -> Figure:
    """Per ranked metric, against the bits per pixel of the indexed PNG: each method's median
    over the images at each K (a point of its line, at the median bits per pixel) and the
    interquartile range of the metric (band), from rate_distortion.csv."""
    from matplotlib.ticker import NullFormatter

    points = points.replace([np.inf, -np.inf], np.nan)
    methods = _methods(points)
    panels = [_panel(metric) for metric in RANKED]
    figure = _figure(7, 3.4)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (metric, name, label, _) in zip(axes, panels, strict=True):
        # Only finite values are drawn (SSIM is undefined on an image smaller than its window).
        scored = points[points[metric].notna()]
        for method in methods:
            own = scored[(scored["method"] == method[0]) & (scored["space"] == method[1])]
            by_k = own.groupby("k_requested")
            rate = by_k["bits_per_pixel"].median()
            q1, median, q3 = (by_k[metric].quantile(q) for q in (0.25, 0.5, 0.75))
            _median_line(ax, rate, median, (q1, q3), method, mode)
        if scored.empty:
            ax.text(0.5, 0.5, "no finite value", ha="center", va="center", transform=ax.transAxes)
        else:  # a log axis of nothing cannot be drawn
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # a short log axis's labels overlap
        ax.set_xlabel("median bits per pixel of the PNG (log)")
        ax.set_ylabel(label)
        ax.set_title(name)
        ax.grid(alpha=0.3, linewidth=0.5)
    n = points["image"].nunique()
    _legend_below(figure)
    figure.suptitle(f"What a byte buys over {n} images: medians and interquartile ranges")
    return figure


def paired_figure(pairs: pd.DataFrame, mode: str) -> Figure:
    """Per ranked metric, against K: the first implementation of the headline pair in `mode`
    minus each reference quantizer, image by image: the median difference over the images
    with its 95 % bootstrap interval (paired.csv); above the dotted line K-means is better
    for PSNR and SSIM, below it for CIEDE2000."""
    first = pairs[
        (pairs["method_a"] == HEADLINE[0])
        & (pairs["mode_a"] == mode)
        & (pairs["mode_b"] == REFERENCE)
    ]
    ks = sorted(pairs["k_requested"].unique()) or [1]
    panels = [_panel(metric) for metric in RANKED]
    figure = _figure(7, 3.2)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (metric, name, label, _) in zip(axes, panels, strict=True):
        rows = first[first["metric"] == metric]
        for method in ordered_quantizers(list(rows["method_b"].unique())):
            line = rows[rows["method_b"] == method].sort_values("k_requested")
            low = line["median_difference"] - line["median_difference_ci_low"]
            high = line["median_difference_ci_high"] - line["median_difference"]
            ax.errorbar(
                line["k_requested"],
                line["median_difference"],
                yerr=[low, high],
                markersize=2.5,
                linewidth=0.9,
                capsize=2,
                label=method,
                **QUANTIZERS[method].style,
            )
        ax.axhline(0, color="0.3", linestyle=":", linewidth=0.8)
        _k_axis(ax, ks)
        ax.set_ylabel(f"difference in {label}")
        ax.set_title(name)
        ax.grid(alpha=0.3, linewidth=0.5)
    n = int(first["n_images"].max()) if len(first) else 0
    _legend_below(figure)
    figure.suptitle(
        f"{LABELS[HEADLINE[0]]} ({mode} mode) minus each quantizer, image by image over {n} "
        "images:\nmedian difference and its 95 % bootstrap interval"
    )
    return figure


def matrix_over_images_figure(over: pd.DataFrame) -> Figure:
    """The agreement matrix over images: per K (columns) and shared-start mode (rows), on how
    many of the images (and seeds) each pair of implementations reached the identical fit from
    the same start, as a count in each cell, coloured by its share
    (agreement_over_images.csv)."""
    plt = pyplot()
    over = over[over["mode"].isin([name for name, mode in MODES.items() if mode.shared_start])]
    modes = [mode for mode in MODES if mode in set(over["mode"])]
    ks = sorted(over["k_requested"].unique())
    names = ordered(list(over["impl_a"]) + list(over["impl_b"]))
    figure = _figure(max(1.3 * len(ks) + 0.9, 5.0), 1.5 * max(len(modes), 1) + 1.6)
    axes = figure.subplots(max(len(modes), 1), max(len(ks), 1), squeeze=False)
    cmap = plt.get_cmap("Greens").with_extremes(bad=(0, 0, 0, 0))
    shown = None
    for row, mode in enumerate(modes):
        for col, k in enumerate(ks):
            ax = axes[row, col]
            subset = over[(over["mode"] == mode) & (over["k_requested"] == k)]
            share = np.full((len(names), len(names)), np.nan)
            for (a, b), group in subset.groupby(["impl_a", "impl_b"]):
                i, j = names.index(a), names.index(b)
                identical, n = int(group["n_identical"].sum()), int(group["n_images"].sum())
                share[i, j] = share[j, i] = identical / n
                for x, y in ((i, j), (j, i)):
                    ax.text(
                        x,
                        y,
                        str(identical),
                        ha="center",
                        va="center",
                        fontsize=4.5,
                        color="white" if identical > n / 2 else "black",
                    )
            ax.set_facecolor("0.85")
            shown = ax.imshow(share, cmap=cmap, vmin=0, vmax=1)
            ax.set_xticks(
                range(len(names)), names if row == len(modes) - 1 else [], rotation=90, fontsize=6
            )
            ax.set_yticks(range(len(names)), names if col == 0 else [], fontsize=6)
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(f"K = {k}" if row == 0 else "")
            if col == 0:
                ax.set_ylabel(f"{mode} mode")
    if shown is not None:
        figure.colorbar(
            shown,
            ax=axes,
            location="bottom",
            shrink=0.6,
            aspect=40,
            label="share of images (and seeds) with the identical fit",
        )
    cells = ["impl_a", "impl_b", "mode", "k_requested"]
    n = int(over.groupby(cells)["n_images"].sum().max()) if len(over) else 0
    figure.suptitle(
        "On how many images two implementations reach the identical fit from the "
        f"same start (of at most {n}; light grey: not run)"
    )
    return figure


#: The categories of the Snakemake report, in its order: every figure's is in its entry of
#: FIGURES, every table's in the rule that writes it (workflow/rules/*.smk).
RATE = "0. What a byte buys: quality against file size"
QUALITY = "1. Distortion, quality and storage"
AGREEMENT = "2. Agreement of the implementations"
PER_IMAGE = "3. Images and palettes"
CONVERGENCE = "4. Convergence"
SPEED = "5. Speed"
TABLES = "6. Tables and provenance"
CATEGORIES = (RATE, QUALITY, AGREEMENT, PER_IMAGE, CONVERGENCE, SPEED, TABLES)


@dataclass(frozen=True)
class TableFigure:
    """A figure drawn from result tables, and all that the workflow and its report need of it:
    its rule (`figure_{name}`, workflow/rules/figures.smk) reads `tables` and writes
    results/figures/{name}.png and .svg, which the report shows in `category` with the
    caption workflow/report/{name}.rst."""

    name: str
    #: The result tables it reads (names of kmquant.paths.TABLES, in this order), and how it
    #: is built from them and the mode whose fits it shows.
    tables: tuple[str, ...]
    build: Callable[[Sequence[pd.DataFrame], str], Figure]
    #: Its category of the Snakemake report, one of CATEGORIES.
    category: str
    #: The mode whose fits it shows, chosen from the study's modes: kmquant.modes.figure_mode
    #: (the proof, where it was run) or rate_mode (what users get, where it was run).
    mode: Callable[[Sequence[str]], str] = figure_mode
    #: Drawn only where the study steps runs one iteration at a time (`convergence_k` and
    #: `convergence_seeds` in the traced mode, with the headline pair).
    traced: bool = False
    #: Draws a row (or a marker) per image: it shows the few images that
    #: kmquant.study.figure_images chooses, and the figures over images show them all.
    per_image: bool = False
    #: Draws the fits of every colour space of the study beside the reference quantizers; the
    #: others draw the fits in sRGB alone (`in_srgb`).
    spaces: bool = False

    @property
    def caption(self) -> str:
        """Its caption in the report: a file of workflow/report/."""
        return f"{self.name}.rst"


def _metric(name: str) -> TableFigure:
    return TableFigure(
        name,
        ("fits", "reference"),
        lambda t, mode: metric_figure(name, t[0], t[1], mode),
        QUALITY,
        mode=rate_mode,
        per_image=True,
    )


#: Every figure drawn from the study's tables, by name, in the order the study lists them.
FIGURES: dict[str, TableFigure] = {
    figure.name: figure
    for figure in (
        TableFigure(
            "rate_distortion",
            ("rate_distortion",),
            lambda t, mode: rate_distortion_figure(t[0], mode),
            RATE,
            mode=rate_mode,
            per_image=True,
            spaces=True,
        ),
        TableFigure(
            "rate_distortion_over_images",
            ("rate_distortion",),
            lambda t, mode: rate_distortion_over_images_figure(t[0], mode),
            RATE,
            mode=rate_mode,
            spaces=True,
        ),
        TableFigure(
            "paired",
            ("paired",),
            lambda t, mode: paired_figure(t[0], mode),
            RATE,
            mode=rate_mode,
        ),
        *(_metric(name) for name in METRIC_FIGURES),
        TableFigure(
            "quality_over_images",
            ("over_images",),
            lambda t, mode: quality_over_images_figure(t[0], mode),
            QUALITY,
            mode=rate_mode,
            spaces=True,
        ),
        TableFigure(
            "agreement",
            ("agreement",),
            lambda t, _: agreement_figure(t[0]),
            AGREEMENT,
            per_image=True,
        ),
        TableFigure("matrix", ("agreement",), lambda t, _: matrix_figure(t[0]), AGREEMENT),
        TableFigure(
            "matrix_over_images",
            ("agreement_over_images",),
            lambda t, _: matrix_over_images_figure(t[0]),
            AGREEMENT,
        ),
        TableFigure("timing", ("timings",), lambda t, mode: timing_figure(t[0], mode), SPEED),
        TableFigure(
            "convergence",
            ("convergence", "convergence_centres"),
            lambda t, _: convergence_figure(t[0], t[1]),
            CONVERGENCE,
            traced=True,
            per_image=True,
        ),
    )
}


#: The columns that hold names (of images, implementations, methods, modes): always text, so
#: that an image named "NA" or "nan" is never read as a missing value.
NAME_COLUMNS = (
    "image", "impl", "impl_a", "impl_b", "method", "mode", "space", "space_a", "space_b",
)  # fmt: skip


def read_table(path: str | Path) -> pd.DataFrame:
    """A result table: name columns as text; elsewhere an empty cell or "nan" is missing."""
    import pandas as pd

    header = pd.read_csv(path, nrows=0).columns
    missing = {column: [] if column in NAME_COLUMNS else ["", "nan"] for column in header}
    names = {column: str for column in header if column in NAME_COLUMNS}
    return pd.read_csv(path, dtype=names, keep_default_na=False, na_values=missing)


def table_figure(
    name: str,
    tables: Sequence[str | Path],
    mode: str,
    stem: str | Path,
    chosen: Sequence[str] | None = None,
) -> list[Path]:
    """Build figure `name` of FIGURES from its tables (paths, in its order) and save it; a
    figure of a row per image shows the images kmquant.study.figure_images picks from the
    tables' images and `chosen` (`per_image_figures`)."""
    drawn = FIGURES[name].tables
    if len(tables) != len(drawn):
        raise ValueError(
            f"figure {name} draws {len(drawn)} tables ({', '.join(drawn)}, in that order), "
            f"not {len(tables)}"
        )
    read = [read_table(path) for path in tables]
    if not FIGURES[name].spaces:
        read = [in_srgb(table) for table in read]
    if FIGURES[name].per_image:
        read = shown_images(read, chosen)
    return save(FIGURES[name].build(read, mode), stem)


def in_srgb(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a table of fits in sRGB or of reference quantizers (as tables.in_srgb)."""
    columns = [column for column in SPACE_COLUMNS if column in table]
    return table[table[columns].isin(SRGB).all(axis=1)] if columns else table


def shown_images(
    tables: Sequence[pd.DataFrame], chosen: Sequence[str] | None
) -> list[pd.DataFrame]:
    """The rows of `tables` of the images a per-image figure shows (the first table's images,
    as kmquant.study.figure_images picks them)."""
    from kmquant.study import figure_images

    shown = figure_images(sorted(set(tables[0]["image"])), chosen)
    return [table[table["image"].isin(shown)] for table in tables]


Picture = np.ndarray | None  # RGB pixels; None where there is nothing to show


def image_grid(
    original: np.ndarray,
    quantized: dict[int, tuple[Picture, Picture, Picture]],
    title: str,
    reference: tuple[str, dict[int, Picture]] | None = None,
) -> Figure:
    """Rows K; columns original | first | second of the headline pair | their difference x
    AMPLIFY (black: equal), each K's three given in `quantized`, and a reference quantizer's
    output at the same K where one is given as (name, {K: pixels})."""
    ks = sorted(quantized)
    height, width = original.shape[:2]
    a, b = HEADLINE
    titles = ["original", LABELS[a], LABELS[b], f"|{a} - {b}| x {AMPLIFY}"]
    if reference is not None:
        titles.append(reference[0])
    n_cols = len(titles)
    # A panel is at most MAX_PANEL_ASPECT times as tall as wide or as wide as tall: an image of
    # 1 x 1200 pixels is drawn thin in its panel, not in a figure metres tall.
    aspect = min(max(height / width, 1 / MAX_PANEL_ASPECT), MAX_PANEL_ASPECT)
    figure = _figure(7 / 4 * n_cols, 7 / 4 * aspect * len(ks) + 0.6)
    axes = figure.subplots(len(ks), n_cols, squeeze=False)
    for row, k in enumerate(ks):
        panels = [original, *quantized[k]]
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
                ax.set_title(titles[col], fontsize=7)
        axes[row, 0].set_ylabel(f"K = {k}")
    figure.suptitle(title)
    return figure


def palettes(rows: list[tuple[int, np.ndarray, np.ndarray]], title: str) -> Figure:
    """Swatches with hex codes: for each K, the first palette of the headline pair above the
    second, matched colour to colour (column j of both rows is the Hungarian pair)."""
    from matplotlib.patches import Rectangle

    n_cols = max((len(p) for _, p, _ in rows), default=1)
    figure = _figure(7, 0.4 + 0.62 * len(rows) * max(1, n_cols / 16))
    ax = figure.subplots()
    y = 0.0
    cols = 16
    for k, first, second in rows:
        for name, palette in zip(HEADLINE, (first, second), strict=True):
            for j, colour in enumerate(palette):
                x, dy = j % cols, j // cols
                cell = (x, -(y + dy))
                ax.add_patch(Rectangle(cell, 0.95, 0.9, color=np.asarray(colour) / 255))
                light = np.dot(colour, [0.299, 0.587, 0.114]) > 140
                ax.text(
                    x + 0.47,
                    -(y + dy) + 0.45,
                    hex_colour(colour),
                    ha="center",
                    va="center",
                    fontsize=4.2,
                    color="black" if light else "white",
                    family="monospace",
                )
            ax.text(-0.2, -y + 0.45, f"K={k} {name}", ha="right", va="center", fontsize=6)
            y += max(1, int(np.ceil(len(palette) / cols)))
        y += 0.4
    ax.set_xlim(-2.6, cols)
    ax.set_ylim(-y, 1)
    ax.axis("off")
    ax.set_title(title)
    return figure


#: Panels of the image grids are at most this many pixels on their longest side.
PANEL_MAX_SIDE = 1200
MAX_PANEL_ASPECT = 4


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
    given: Inputs,
    image: str,
    mode: str,
    seed: int,
    ks: Sequence[int],
    reference: str | None = None,
) -> Figure:
    """The image grid of one image from a run's written PNGs of the headline pair and their
    stored difference, with a reference quantizer's PNGs beside them where one is named."""
    run = given.results

    def shown(path: Path) -> Picture:
        return _png_pixels(given(path))

    a, b = HEADLINE
    quantized = {
        k: (
            shown(run.image(a, mode, image, k, seed)),
            shown(run.image(b, mode, image, k, seed)),
            shown(run.difference(mode, image, k, seed)),
        )
        for k in ks
    }
    beside = None
    if reference is not None:
        beside = (reference, {k: shown(run.reference_png(reference, image, k)) for k in ks})
    original = shown(run.original(image))
    if original is None:
        raise FileNotFoundError(f"{run.original(image)}: no original to show")
    return image_grid(original, quantized, f"{image}: {mode} mode, seed {seed}", beside)


def palettes_figure(given: Inputs, image: str, mode: str, seed: int, ks: Sequence[int]) -> Figure:
    """The palettes of the headline pair on one image, the second reordered to match the first
    colour to colour."""
    from kmquant.agreement import matched_palettes
    from kmquant.fitting import load

    rows = []
    for k in ks:
        first, second = (
            load(given(given.results.fit(impl, mode, image, k, seed)), labels=False)
            for impl in HEADLINE
        )
        if first.ok and second.ok:
            rows.append((k, *matched_palettes(first.centres, second.centres)))
    a, b = HEADLINE
    return palettes(rows, f"{image}: palettes, {mode} mode, seed {seed} ({a} above {b})")


def draw(
    names: Sequence[str],
    stems: Sequence[str | Path],
    tables: Sequence[str | Path],
    mode: str,
    chosen: Sequence[str] | None = None,
) -> None:
    """Figures `names` of FIGURES, each saved at its stem, from the tables they draw (paths,
    in their order) and the fits of `mode`; the per-image figures show the images `chosen`
    (`per_image_figures`; None: kmquant.study.figure_images's default)."""
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        raise ValueError(f"no figure named {', '.join(unknown)}")
    if len(names) != len(stems):
        raise ValueError("give one stem per figure, in the same order")
    for name, stem in zip(names, stems, strict=True):
        table_figure(name, tables, mode, stem, chosen)
