"""How good a written image is: the registry of the metrics of a quantized image against the
loaded original (docs/design.md, "Metrics"), and the one function that scores every output
alike, a fit's PNG and a reference quantizer's, in the step that writes it.

Table columns, ranking, rate-distortion, figures, the explorer, the report and the schema's
quality targets all read METRICS; adding a metric is one entry here and its function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from kmquant.colour import mean_ciede2000
from kmquant.metrics import (
    mae_8bit,
    mse,
    palette_8bit,
    psnr_db,
    sse_8bit,
    ssim_8bit,
    storage,
    total_sum_of_squares_8bit,
    variance_explained,
)
from kmquant.pixels import Pixels, colour_label_counts


@dataclass(frozen=True)
class Shown:
    """A quantized image as its metrics see it: pixel i of `pixels` shows colour
    palette[labels[i]] (8-bit, as the PNG holds it)."""

    pixels: Pixels
    palette: np.ndarray
    labels: np.ndarray

    @cached_property
    def counted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(each distinct colour's row in the image's `grouping`, the palette index it shows,
        pixel counts): a metric of single pixels is a sum over pixels, summed once per distinct
        (colour, label) pair with the pair's pixel count as weight, so that it needs no float
        copy of the whole image."""
        return colour_label_counts(self.pixels.grouping, self.labels)

    @cached_property
    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`counted` with each colour in [0, 1]."""
        rows, row_labels, weights = self.counted
        return self.pixels.distinct_features(rows), row_labels, weights

    @cached_property
    def sse(self) -> float:
        colours, row_labels, weights = self.rows
        return sse_8bit(colours, self.palette / 255.0, row_labels, weights)

    @property
    def mse(self) -> float:
        return mse(self.sse, self.pixels.n)

    def image(self) -> np.ndarray:
        """The shown image, H x W x 3 in 8-bit units."""
        return self.palette[self.labels].reshape(*self.pixels.shape, 3)


def _variance_explained(shown: Shown) -> float:
    colours, _, weights = shown.rows
    return variance_explained(shown.sse, total_sum_of_squares_8bit(colours, weights))


def _ciede2000(shown: Shown) -> float:
    rows, row_labels, weights = shown.counted
    original = shown.pixels.distinct_lab[rows]
    return mean_ciede2000(original, shown.palette / 255.0, row_labels, weights)


def _mae(shown: Shown) -> float:
    colours, row_labels, weights = shown.rows
    return mae_8bit(colours, shown.palette / 255.0, row_labels, weights)


def _ssim(shown: Shown) -> float:
    return ssim_8bit(shown.pixels.rgb, shown.image(), shown.pixels.max_value)


@dataclass(frozen=True)
class Metric:
    """One measure of a written image against the original."""

    name: str  #: its column in every table
    label: str
    unit: str  #: "" for a unitless measure
    higher_is_better: bool
    compute: Callable[[Shown], float]
    #: True for a measure of neighbourhoods (it reads the whole image); False for a sum over
    #: single pixels (it reads only the distinct colours and their counts).
    whole_image: bool = False
    #: Whether methods are ranked on it and drawn in the quality and rate-distortion figures.
    ranked: bool = False
    #: Whether a study may ask for the smallest K that reaches a value of it (quality_targets).
    target: bool = False

    @property
    def axis_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def target_text(self, value: float | str) -> str:
        """The target as a reader reads it, e.g. "PSNR ≥ 30 dB"."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.label} {'≥' if self.higher_is_better else '≤'} {value}{unit}"


#: Every metric, in the order of the table columns.
METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("sse", "SSE", "8-bit units²", False, lambda shown: shown.sse),
        Metric("mse", "MSE", "8-bit units²", False, lambda shown: shown.mse),
        Metric("psnr_db", "PSNR", "dB", True, lambda shown: psnr_db(shown.mse),
               ranked=True, target=True),
        Metric("variance_explained", "variance explained", "", True, _variance_explained),
        Metric("mean_ciede2000", "mean CIEDE2000", "ΔE00", False, _ciede2000,
               ranked=True, target=True),
        Metric("mae", "MAE", "8-bit units", False, _mae),
        Metric("ssim", "SSIM", "", True, _ssim, whole_image=True, ranked=True, target=True),
    )
}  # fmt: skip
#: The metrics methods are ranked on, drawn against K and file size, and targeted.
RANKED = tuple(name for name, metric in METRICS.items() if metric.ranked)
TARGETS = tuple(name for name, metric in METRICS.items() if metric.target)


def score_image(pixels: Pixels, centres: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Every metric and the storage of the image in which pixel i shows centre labels[i],
    rounded to the 8-bit palette of the PNG."""
    shown = Shown(pixels, palette_8bit(centres), labels)
    values = {name: metric.compute(shown) for name, metric in METRICS.items()}
    return values | storage(pixels.n, len(centres))


def image_psnr(pixels: Pixels, centres: np.ndarray, labels: np.ndarray) -> float:
    """The PSNR of the written image alone (what `kmquant compress` reports)."""
    return METRICS["psnr_db"].compute(Shown(pixels, palette_8bit(centres), labels))
