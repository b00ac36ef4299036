"""Which method gives the best image, per image and K: our K-means fits against the reference
quantizers, on PSNR and SSIM (higher is better) and mean CIEDE2000 (lower is better)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

#: Each ranked metric and whether a higher value is better.
METRICS = {"psnr_db": True, "mean_ciede2000": False, "ssim": True}
RANKING_COLUMNS = (
    "image",
    "k_requested",
    "metric",
    "n_methods",
    "best_methods",
    "best_value",
    "python_value",
    "python_rank",
    "r_value",
    "r_rank",
)


def _values(
    fits: Iterable[Mapping[str, str]], references: Iterable[Mapping[str, str]], metric: str
) -> dict[tuple[str, int], dict[str, float]]:
    """Per (image, K): each method's value. A language counts with its best fit over every
    mode and seed (the best image a user of that language could have made). Failed outputs
    and undefined values (SSIM of an image smaller than its window) are left out."""
    higher = METRICS[metric]
    values: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for row in fits:
        if row["status"] == "error" or math.isnan(float(row[metric])):
            continue
        key, value = (row["image"], int(row["k_requested"])), float(row[metric])
        best = values[key].get(row["impl"])
        if best is None or (value > best if higher else value < best):
            values[key][row["impl"]] = value
    for row in references:
        if row["status"] != "error" and not math.isnan(float(row[metric])):
            values[row["image"], int(row["k_requested"])][row["method"]] = float(row[metric])
    return values


def ranking(
    fits: Iterable[Mapping[str, str]], references: Iterable[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """One row per image, K and metric: the best methods (several where they tie) and the rank
    of Python's and R's best fits among all methods (1 is best; equal values share a rank)."""
    fits, references = list(fits), list(references)
    rows = []
    for metric, higher in METRICS.items():
        sign = -1.0 if higher else 1.0  # sign * value, ascending, puts the best first
        for (image, k), by_method in sorted(_values(fits, references, metric).items()):
            best = min(sign * v for v in by_method.values())
            winners = sorted(m for m, v in by_method.items() if sign * v == best)
            row: dict[str, Any] = {
                "image": image,
                "k_requested": k,
                "metric": metric,
                "n_methods": len(by_method),
                "best_methods": " ".join(winners),
                "best_value": sign * best,
            }
            for impl in ("python", "r"):
                own = by_method.get(impl)
                row[f"{impl}_value"] = own
                row[f"{impl}_rank"] = (
                    None
                    if own is None
                    else 1 + sum(sign * v < sign * own for v in by_method.values())
                )
            rows.append(row)
    return rows
