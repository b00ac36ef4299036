"""What a byte buys: the quality of every method's image against the real size of its indexed
PNG (the rate-distortion points), and the smallest K at which each method reaches a target
quality (docs/design.md, "Metrics")."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

from kmquant.scoring import METRICS, RANKED
from kmquant.tables import read_csv, write_table

RATE_COLUMNS = (
    "image",
    "method",
    "space",
    "k_requested",
    "n_outputs",
    "indexed_png_bytes",
    "bits_per_pixel",
    "original_bits_per_pixel",
    *RANKED,
)
K_FOR_QUALITY_COLUMNS = (
    "image",
    "metric",
    "target",
    "method",
    "space",
    "reached",
    "k_requested",
    "value",
    "indexed_png_bytes",
    "bits_per_pixel",
    "smallest_file",
)


def reaches(metric: str, value: float, target: float) -> bool:
    """Whether a value meets a target: at least it where higher is better, at most it
    otherwise; an undefined value (NaN) meets none."""
    if math.isnan(value):
        return False
    return value >= target if METRICS[metric].higher_is_better else value <= target


def points(
    fits: Iterable[Mapping[str, str]],
    references: Iterable[Mapping[str, str]],
    images: Iterable[Mapping[str, str]],
    mode: str,
) -> list[dict[str, Any]]:
    """One point per image, method and K: the file's bits per pixel and its quality. Each
    implementation in each colour space is its fits in `mode`, each value the mean over the
    seeds it ran there; a reference quantizer (no space) is its one output. Failed outputs are
    left out."""
    pixels = {row["image"]: int(row["n_pixels"]) for row in images if not row["rejected"]}
    outputs: dict[tuple[str, str, str, int], list[Mapping[str, str]]] = defaultdict(list)
    for row in fits:
        if row["mode"] == mode and row["status"] != "error":
            key = (row["image"], row["impl"], row["space"], int(row["k_requested"]))
            outputs[key].append(row)
    for row in references:
        if row["status"] != "error":
            outputs[row["image"], row["method"], "", int(row["k_requested"])].append(row)
    rows = []
    for (image, method, space, k), group in sorted(outputs.items()):
        size = fmean(float(row["indexed_png_bytes"]) for row in group)
        original = float(group[0]["original_png_bytes"])
        rows.append(
            {
                "image": image,
                "method": method,
                "space": space,
                "k_requested": k,
                "n_outputs": len(group),
                "indexed_png_bytes": size,
                "bits_per_pixel": 8 * size / pixels[image],
                "original_bits_per_pixel": 8 * original / pixels[image],
            }
            | {metric: fmean(float(row[metric]) for row in group) for metric in RANKED}
        )
    return rows


def k_for_quality(
    rate_points: Iterable[Mapping[str, Any]], targets: Mapping[str, Sequence[float]]
) -> list[dict[str, Any]]:
    """Per image, target and method (an implementation in each colour space, or a reference
    quantizer): the smallest K of the grid whose point reaches the
    target, with its value and file size, or `reached` false. `smallest_file` marks, per image
    and target, the method(s) reaching it with the smallest file."""
    curves: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for point in rate_points:
        curves[point["image"], point["method"], point["space"]].append(point)
    rows = []
    for metric, values in targets.items():
        for target in values:
            for image in sorted({image for image, _, _ in curves}):
                found = [
                    _first_reaching(image, (method, space), curve, metric, target)
                    for (name, method, space), curve in sorted(curves.items())
                    if name == image
                ]
                smallest = min(
                    (row["indexed_png_bytes"] for row in found if row["reached"]), default=None
                )
                rows += [
                    row | {"smallest_file": row["reached"] and row["indexed_png_bytes"] == smallest}
                    for row in found
                ]
    return rows


def _first_reaching(
    image: str,
    method: tuple[str, str],
    curve: Sequence[Mapping[str, Any]],
    metric: str,
    target: float,
) -> dict[str, Any]:
    """`method` (a name and a space) at the smallest K of `curve` that reaches the target."""
    row: dict[str, Any] = {"image": image, "metric": metric, "target": target}
    row |= {"method": method[0], "space": method[1]}
    for point in sorted(curve, key=lambda point: int(point["k_requested"])):
        value = float(point[metric])
        if reaches(metric, value, target):
            return row | {
                "reached": True,
                "k_requested": int(point["k_requested"]),
                "value": value,
                "indexed_png_bytes": float(point["indexed_png_bytes"]),
                "bits_per_pixel": float(point["bits_per_pixel"]),
            }
    return row | {"reached": False}


def write_points(
    fits: str | Path, references: str | Path, images: str | Path, out: str | Path, mode: str
) -> None:
    """rate_distortion.csv from fits.csv, reference.csv and images.csv."""
    rows = points(read_csv(fits), read_csv(references), read_csv(images), mode)
    write_table(out, RATE_COLUMNS, rows)


def write_k_for_quality(
    rate_points: str | Path, out: str | Path, targets: Mapping[str, Sequence[float]]
) -> None:
    """k_for_quality.csv from rate_distortion.csv."""
    write_table(out, K_FOR_QUALITY_COLUMNS, k_for_quality(read_csv(rate_points), targets))
