"""How good a written image is: the metrics of a quantized image against the loaded original
(docs/design.md, "Metrics"). One function scores every output alike, a fit's PNG and a
reference quantizer's, in the step that writes it."""

from __future__ import annotations

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


def _shown(
    pixels: Pixels, centres: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(distinct colours in [0, 1], the palette index each shows, pixel counts, the 8-bit
    palette in [0, 1]): every metric is a sum over pixels, summed once per distinct (colour,
    label) pair with the pair's pixel count as weight, so that it needs no float copy of the
    whole image."""
    rows, row_labels, weights = colour_label_counts(pixels.grouping, labels)
    return rows / pixels.max_value, row_labels, weights, palette_8bit(centres) / 255.0


def image_psnr(pixels: Pixels, centres: np.ndarray, labels: np.ndarray) -> float:
    """The PSNR of the written image alone (what `kmquant compress` reports)."""
    features, row_labels, weights, palette = _shown(pixels, centres, labels)
    return psnr_db(mse(sse_8bit(features, palette, row_labels, weights), pixels.n))


def score_image(
    pixels: Pixels, centres: np.ndarray, labels: np.ndarray, structural: bool = True
) -> dict[str, Any]:
    """The metrics of the image in which pixel i shows centre labels[i], rounded to the 8-bit
    palette of the PNG. SSIM, the one metric that looks at neighbouring pixels and so at the
    whole image, is left out where `structural` is false."""
    features, row_labels, weights, palette = _shown(pixels, centres, labels)
    image_sse = sse_8bit(features, palette, row_labels, weights)
    sst = total_sum_of_squares_8bit(features, weights)
    return {
        "sse": image_sse,
        "mse": mse(image_sse, pixels.n),
        "psnr_db": psnr_db(mse(image_sse, pixels.n)),
        "variance_explained": variance_explained(image_sse, sst),
        "mean_ciede2000": mean_ciede2000(features, palette, row_labels, weights),
        "mae": mae_8bit(features, palette, row_labels, weights),
        **storage(pixels.n, len(centres)),
    } | ({"ssim": structural_similarity(pixels, centres, labels)} if structural else {})


def structural_similarity(pixels: Pixels, centres: np.ndarray, labels: np.ndarray) -> float:
    """SSIM of the written 8-bit image against the loaded original, in 8-bit units."""
    shown = palette_8bit(centres)[labels].reshape(*pixels.shape, 3)
    return ssim_8bit(pixels.rgb * (255.0 / pixels.max_value), shown)
