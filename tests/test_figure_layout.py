"""Every figure of a real run stays legible with seven implementations and five reference
quantizers: no title, label, tick label or legend overlaps another, and no legend covers an
axes' data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from conftest import whole_run
from kmquant import figures
from kmquant.modes import MODES
from kmquant.paths import Results
from kmquant.reference import QUANTIZERS


def _ticks(ax: object, axis: str) -> Iterator[Text]:
    """The tick labels an axis draws: non-empty, at ticks inside its view."""
    low, high = sorted(getattr(ax, f"get_{axis}lim")())
    for minor in (False, True):
        ticks = getattr(ax, f"get_{axis}ticks")(minor=minor)
        labels = getattr(ax, f"get_{axis}ticklabels")(minor=minor)
        for value, label in zip(ticks, labels, strict=False):
            if label.get_visible() and label.get_text() and low <= value <= high:
                yield label


def texts(figure: Figure) -> list[tuple[str, object]]:
    """(owner, window extent) of every text the figure shows, legends as whole boxes."""
    renderer = figure.canvas.get_renderer()
    found: list[tuple[str, object]] = []

    def add(owner: str, text: Text) -> None:
        if text.get_visible() and text.get_text().strip():
            found.append((owner, text.get_window_extent(renderer)))

    if figure._suptitle is not None:
        add("suptitle", figure._suptitle)
    for legend in figure.legends:
        found.append(("figure legend", legend.get_window_extent(renderer)))
    for i, ax in enumerate(figure.axes):
        if ax.name == "3d":  # its projected labels are placed by the 3-D view itself
            add(f"axes {i} title", ax.title)
            continue
        for title in (ax.title, ax._left_title, ax._right_title):
            add(f"axes {i} title", title)
        add(f"axes {i} x label", ax.xaxis.label)
        add(f"axes {i} y label", ax.yaxis.label)
        for axis in ("x", "y"):
            for label in _ticks(ax, axis):
                add(f"axes {i} {axis} tick", label)
        for text in ax.texts:
            add(f"axes {i} text", text)
        legend = ax.get_legend()
        if legend is not None:
            found.append((f"axes {i} legend", legend.get_window_extent(renderer)))
    return found


def overlaps(figure: Figure) -> list[str]:
    """Every pair of texts that overlap (by more than a pixel), and every legend that covers
    an axes (its data area)."""
    figure.canvas.draw()
    found = texts(figure)
    clashes = []
    for i, (owner, box) in enumerate(found):
        for other, other_box in found[i + 1 :]:
            if box.shrunk(0.98, 0.98).overlaps(other_box.shrunk(0.98, 0.98)):
                clashes.append(f"{owner} overlaps {other}")
    for owner, box in found:
        if "legend" in owner:
            for j, ax in enumerate(figure.axes):
                if box.overlaps(ax.bbox):
                    clashes.append(f"{owner} covers axes {j}")
    return clashes


def built(run: Path) -> Iterator[tuple[str, Figure]]:
    results = Results(run / "results")
    given = whole_run(run / "results")
    for name, spec in figures.FIGURES.items():
        tables = [figures.read_table(results.table(table)) for table in spec.tables]
        yield name, spec.build(tables, spec.mode(list(MODES)))
    for image in ("photo", "five_colours"):
        yield (
            f"images_{image}",
            figures.images_figure(given, image, "matched", 0, [2, 8], "pngquant"),
        )
        yield f"palettes_{image}", figures.palettes_figure(given, image, "matched", 0, [2, 8])


def test_no_text_or_legend_of_any_figure_overlaps_another(tiny_run: Path) -> None:
    clashes = {}
    for name, figure in built(tiny_run):
        found = overlaps(figure)
        if found:
            clashes[name] = found
        figures.pyplot().close(figure)
    assert clashes == {}


def test_the_check_sees_an_overlap_where_there_is_one() -> None:
    figure = figures.pyplot().figure(figsize=(3, 2))
    ax = figure.subplots()
    ax.plot(np.arange(10), label="a line")
    ax.set_title("a title")
    ax.text(0.5, 1.0, "over the title", transform=ax.transAxes, ha="center", va="bottom")
    ax.legend(loc="center")  # over the data
    found = overlaps(figure)
    assert any("text overlaps" in clash or "overlaps axes 0 text" in clash for clash in found)
    assert "axes 0 legend covers axes 0" in found
    figures.pyplot().close(figure)


@pytest.mark.parametrize("n_images", [1, 3])
def test_the_legend_of_the_metric_figures_stays_below_every_panel(n_images: int) -> None:
    import pandas as pd

    rows = [
        {
            "image": f"im{i}",
            "impl": impl,
            "mode": "native",
            "k_requested": k,
            "seed": 0,
            "status": "ok",
            "psnr_db": 20.0 + k / 10 + i,
            "mean_ciede2000": 5.0 - k / 100,
            "ssim": 0.8 + k / 1000,
        }
        for i in range(n_images)
        for impl in figures.LABELS
        for k in (2, 4, 8, 16, 32, 64, 128)
    ]
    references = pd.DataFrame(
        [
            {
                "image": f"im{i}",
                "method": method,
                "k_requested": k,
                "status": "ok",
                "psnr_db": 21.0,
                "mean_ciede2000": 4.0,
                "ssim": 0.85,
            }
            for i in range(n_images)
            for method in QUANTIZERS
            for k in (2, 128)
        ]
    )
    figure = figures.metric_figure("quality", pd.DataFrame(rows), references, "native")
    assert overlaps(figure) == []
    figures.pyplot().close(figure)
