"""Quality metrics of one fit, in 8-bit units (docs/design.md, "Metrics")."""

from __future__ import annotations

import math

import numpy as np


def palette_8bit(centres: np.ndarray) -> np.ndarray:
    """round(255 c), half to even, as uint8; an empty (NaN) centre becomes black."""
    return np.clip(np.round(np.nan_to_num(centres, nan=0.0) * 255.0), 0, 255).astype(np.uint8)


def sse_8bit(
    features: np.ndarray,
    centres: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Sum over pixels of the squared RGB distance to the pixel's centre, in 8-bit units;
    `weights` counts the pixels each row stands for (default one)."""
    return _sum_of_squares_8bit(features - centres[labels], weights)


def _sum_of_squares_8bit(diff: np.ndarray, weights: np.ndarray | None) -> float:
    """Sum of the squared rows of `diff` ([0, 1] units) in 8-bit units, row i counted
    weights[i] times."""
    diff = diff * 255.0
    return _total(np.einsum("ij,ij->i", diff, diff), weights)


def _total(per_row: np.ndarray, weights: np.ndarray | None) -> float:
    """The sum of a per-row value over pixels, row i standing for weights[i] pixels."""
    return float(per_row.sum() if weights is None else per_row @ weights)


def mae_8bit(
    features: np.ndarray,
    palette: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Mean absolute error over pixels and channels, in 8-bit units; `weights` counts the
    pixels each row stands for (default one)."""
    absolute = np.abs(features - palette[labels]).sum(axis=1) * 255.0
    n_pixels = len(features) if weights is None else weights.sum()
    return _total(absolute, weights) / (3 * n_pixels)


#: SSIM as Wang et al. (2004) define it: a Gaussian window of standard deviation 1.5 (11 x 11
#: pixels), K1 = 0.01, K2 = 0.03, dynamic range 255, population (not sample) statistics.
SSIM_SIGMA = 1.5
SSIM_WINDOW = 11


def ssim_8bit(original: np.ndarray, shown: np.ndarray) -> float:
    """Structural similarity of two H x W x 3 images in 8-bit units, per channel and averaged
    over the channels; NaN for an image smaller than the window."""
    from skimage.metrics import structural_similarity

    if min(original.shape[:2]) < SSIM_WINDOW:
        return math.nan
    return float(
        structural_similarity(
            np.asarray(original, dtype=np.float64),  # no copy of an image already in float
            np.asarray(shown, dtype=np.float64),
            data_range=255.0,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
        )
    )


def mse(sse: float, n_pixels: int) -> float:
    return sse / (3 * n_pixels)


def psnr_db(mse_value: float) -> float:
    """10 log10(255^2 / mse); infinite for a lossless result."""
    return math.inf if mse_value == 0 else 10.0 * math.log10(255.0**2 / mse_value)


def variance_explained(sse: float, sst: float) -> float:
    """1 - sse / sst: the share of the colour variance the palette keeps (1 for a flat image)."""
    return 1.0 if sst == 0 else 1.0 - sse / sst


def total_sum_of_squares_8bit(features: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Squared distance of the pixels to their mean colour, in 8-bit units; `weights` counts
    the pixels each row stands for (default one)."""
    return _sum_of_squares_8bit(features - np.average(features, axis=0, weights=weights), weights)


def index_bits(k: int) -> int:
    """Bits per pixel to store an index into a palette of k colours: ceil(log2 k)."""
    return max(k - 1, 0).bit_length()


#: The storage of a palette image, in the order of the table columns.
STORAGE_COLUMNS = ("index_bits", "palette_bits", "raw_bits", "ratio_theoretical")


def storage(n_pixels: int, k: int) -> dict[str, float]:
    """The storage of a palette image: a 24-bit palette plus an index per pixel, against
    24-bit RGB."""
    bits = index_bits(k)
    raw, palette = 24 * n_pixels, 24 * k
    return dict(
        zip(STORAGE_COLUMNS, (bits, palette, raw, raw / (palette + n_pixels * bits)), strict=True)
    )
