"""Colours: perceptual difference (sRGB to CIELAB D65 and CIEDE2000, both from scikit-image)
and the hex codes palettes are shown with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65, 2 degree observer) of ... x 3 sRGB values in [0, 1]."""
    from skimage.color import rgb2lab

    return rgb2lab(rgb, illuminant="D65", observer="2")


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of ... x 3 CIELAB arrays (kL = kC = kH = 1)."""
    from skimage.color import deltaE_ciede2000

    return deltaE_ciede2000(lab1, lab2, kL=1, kC=1, kH=1)


def mean_ciede2000(
    original_lab: np.ndarray,
    palette: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Mean CIEDE2000 between N x 3 original colours, in CIELAB (`srgb_to_lab`: an image's
    colours are converted once for all its palettes), and their palette colours in [0, 1];
    `weights` counts the pixels each row stands for (default one)."""
    difference = ciede2000(original_lab, srgb_to_lab(palette)[labels])
    return float(np.average(difference, weights=weights))


def hex_colour(rgb: Sequence[int]) -> str:
    """#rrggbb of an 8-bit RGB colour."""
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb))
