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
    return sum_of_squares(features, centres, labels, weights, 255.0)


def sum_of_squares(
    features: np.ndarray,
    centres: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    scale: float,
) -> float:
    """Sum over pixels of the squared distance to the pixel's centre, each difference first
    multiplied by `scale` (255 for 8-bit units of [0, 1] values, 1 to keep the units)."""
    return _squares((features - centres[labels]) * scale, weights)


def _squares(diff: np.ndarray, weights: np.ndarray | None) -> float:
    """Sum of the squared rows of `diff`, row i counted weights[i] times."""
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
#: SSIM's map is computed in square tiles of at most this side, so that the filtered float64
#: copies scikit-image makes are those of one tile, whatever the image's shape and size.
SSIM_TILE = 1024


def ssim_8bit(original: np.ndarray, shown: np.ndarray, original_max: int = 255) -> float:
    """Structural similarity of two H x W x 3 images, per channel and averaged over the
    channels; `original` in units of `original_max` (scaled to 8 bits tile by tile), `shown` in
    8-bit units. NaN for an image smaller than the window.

    Bit for bit scikit-image's value for the whole image: the Gaussian filter computes each
    pixel from its window alone, so a tile with a margin of the window's radius gives the
    pixels inside the margin exactly; they fill one float64 map, averaged as scikit-image
    averages it."""
    if original.shape != shown.shape or original.shape[2:] != (3,):
        raise ValueError(f"SSIM of an image {original.shape} against one {shown.shape}")
    height, width = original.shape[:2]
    if min(height, width) < SSIM_WINDOW:
        return math.nan
    pad = SSIM_WINDOW // 2
    ssim_map = np.empty((height, width))
    per_channel = np.empty(3)
    for channel in range(3):
        for rows, columns in _tiles(height, width, pad):
            around = (_widened(rows, pad), _widened(columns, pad), channel)
            tile = _ssim_map(original[around] * (255.0 / original_max), shown[around])
            ssim_map[rows, columns] = tile[pad:-pad, pad:-pad]
        per_channel[channel] = ssim_map[pad:-pad, pad:-pad].mean(dtype=np.float64)
    return float(per_channel.mean())


def _tiles(height: int, width: int, pad: int) -> list[tuple[slice, slice]]:
    """Tiles of at most SSIM_TILE x SSIM_TILE covering the pixels at least `pad` from the edge."""
    return [
        (
            slice(top, min(top + SSIM_TILE, height - pad)),
            slice(left, min(left + SSIM_TILE, width - pad)),
        )
        for top in range(pad, height - pad, SSIM_TILE)
        for left in range(pad, width - pad, SSIM_TILE)
    ]


def _widened(part: slice, pad: int) -> slice:
    return slice(part.start - pad, part.stop + pad)


def _ssim_map(original: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """scikit-image's SSIM map of two H x W images in 8-bit units."""
    from skimage.metrics import structural_similarity

    _, ssim_map = structural_similarity(
        np.asarray(original, dtype=np.float64),
        np.asarray(shown, dtype=np.float64),
        data_range=255.0,
        gaussian_weights=True,
        sigma=SSIM_SIGMA,
        use_sample_covariance=False,
        full=True,
    )
    return ssim_map


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
    return _squares((features - np.average(features, axis=0, weights=weights)) * 255.0, weights)


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
