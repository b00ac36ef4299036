"""Quality metrics of one fit, in 8-bit units (design section 5)."""

from __future__ import annotations

import math

import numpy as np


def palette_8bit(centres: np.ndarray) -> np.ndarray:
    """round(255 c), half to even, as uint8; an empty (NaN) centre becomes black."""
    return np.clip(np.round(np.nan_to_num(centres, nan=0.0) * 255.0), 0, 255).astype(np.uint8)


def sse_8bit(features: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> float:
    """Sum over pixels of the squared RGB distance to the pixel's centre, in 8-bit units."""
    diff = (features - centres[labels]) * 255.0
    return float(np.einsum("ij,ij->", diff, diff))


def mse(sse: float, n_pixels: int) -> float:
    return sse / (3 * n_pixels)


def psnr_db(mse_value: float) -> float:
    """10 log10(255^2 / mse); infinite for a lossless result."""
    return math.inf if mse_value == 0 else 10.0 * math.log10(255.0**2 / mse_value)
