"""Each language's own conversion of sRGB to CIELAB, cross-validated on an image's distinct
colours: R's `grDevices::convertColor`, scikit-image's `rgb2lab` (the study's own,
kmquant.colour) and colour-science's, the field's reference. Each is the CIE formula with
constants of its own (docs/design.md, "Colour conversions")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.colour import ciede2000, srgb_to_lab
from kmquant.pixels import Pixels, is_rejected
from kmquant.pixels import load as load_pixels
from kmquant.tables import write_table

#: sRGB in [0, 1], N x 3, to CIELAB (D65), N x 3.
Converter = Callable[[np.ndarray], np.ndarray]


def colour_science(rgb: np.ndarray) -> np.ndarray:
    """colour-science: IEC 61966-2-1's matrix and the CIE's D65 white (0.3127, 0.3290)."""
    import colour

    return np.asarray(colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb)), dtype=np.float64)


def grdevices(rgb: np.ndarray) -> np.ndarray:
    """R's `grDevices::convertColor`: its own D65 white (0.3137, 0.3291) and the sRGB matrix
    it derives from that white."""
    import rpy2.robjects as ro
    from rpy2.robjects import numpy2ri

    converter = ro.default_converter + numpy2ri.converter
    lab = ro.r["convertColor"](
        converter.py2rpy(np.ascontiguousarray(rgb, dtype=np.float64)),
        **{"from": "sRGB", "to": "Lab"},
    )
    # A copy: the array would be a view into memory R frees and reuses.
    return np.array(lab, dtype=np.float64, copy=True).reshape(-1, 3)


@dataclass(frozen=True)
class Conversion:
    """One library's conversion: the function, its name in prose and what its constants are."""

    convert: Converter
    label: str
    constants: str


#: The conversions compared, the reference first.
CONVERTERS: dict[str, Conversion] = {
    "colour-science": Conversion(
        colour_science,
        "colour-science",
        "the sRGB standard's (IEC 61966-2-1) four-digit matrix and the CIE's D65 white point "
        "(0.3127, 0.3290)",
    ),
    "scikit-image": Conversion(
        srgb_to_lab,
        "scikit-image's ``rgb2lab``",
        "a six-digit matrix, the white (0.95047, 1, 1.08883) and the CIE's older rounded "
        "constants for dark colours",
    ),
    "grDevices": Conversion(
        grdevices,
        "R's ``grDevices::convertColor``",
        "a D65 white point of its own, (0.3137, 0.3291), and the sRGB matrix derived from it",
    ),
}
REFERENCE = "colour-science"
COLUMNS = (
    "image",
    "a",
    "b",
    "n_colours",
    "max_delta_e76",
    "mean_delta_e76",
    "max_delta_e00",
    "mean_delta_e00",
)


def differences(lab: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """Between the conversions of each pair of converters, in the order given: the largest and
    the mean CIE76 and CIEDE2000 difference over the colours converted (each colour once)."""
    rows = []
    for a, b in combinations(lab, 2):
        e76 = np.linalg.norm(lab[a] - lab[b], axis=1)
        e00 = ciede2000(lab[a], lab[b])
        rows.append(
            {
                "a": a,
                "b": b,
                "n_colours": len(e76),
                "max_delta_e76": float(e76.max()),
                "mean_delta_e76": float(e76.mean()),
                "max_delta_e00": float(e00.max()),
                "mean_delta_e00": float(e00.mean()),
            }
        )
    return rows


def image_rows(name: str, pixels: Pixels) -> list[dict[str, Any]]:
    """Every pair of converters on the distinct colours of one image."""
    rgb = pixels.grouping[0].astype(np.float64) / pixels.max_value
    lab = {name: conversion.convert(rgb) for name, conversion in CONVERTERS.items()}
    return [{"image": name, **row} for row in differences(lab)]


def write(out: str | Path, pixels: Sequence[str | Path]) -> None:
    """results/tables/conversions.csv: every pair of converters on each usable image of the
    study (named by its pixels file), one image's colours held at a time."""
    rows = []
    for path in pixels:
        if not is_rejected(path):
            rows += image_rows(Path(path).stem, load_pixels(path))
    write_table(out, COLUMNS, rows)
