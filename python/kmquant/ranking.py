"""Which method gives the best image, per image and K: every implementation's best K-means fit
against the reference quantizers, on each ranked metric of kmquant.scoring."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kmquant.scoring import METRICS, RANKED
from kmquant.tables import read_csv, write_table

RANKING_COLUMNS = (
    "image",
    "k_requested",
    "metric",
    "method",
    "space",
    "value",
    "rank",
    "n_methods",
    "best",
)


#: A method: an implementation in a colour space, or a reference quantizer (no space).
Method = tuple[str, str]


def _values(
    fits: Iterable[Mapping[str, str]], references: Iterable[Mapping[str, str]], metric: str
) -> dict[tuple[str, int], dict[Method, float]]:
    """Per (image, K): each method's value. An implementation in a space counts with its best
    fit there over every mode and seed (the best image a user of it could have made). Failed
    outputs and undefined values (SSIM of an image smaller than its window) are left out."""
    higher = METRICS[metric].higher_is_better
    values: dict[tuple[str, int], dict[Method, float]] = defaultdict(dict)
    for row in fits:
        if row["status"] == "error" or math.isnan(float(row[metric])):
            continue
        key, value = (row["image"], int(row["k_requested"])), float(row[metric])
        method = (row["impl"], row["space"])
        best = values[key].get(method)
        if best is None or (value > best if higher else value < best):
            values[key][method] = value
    for row in references:
        if row["status"] != "error" and not math.isnan(float(row[metric])):
            key = (row["image"], int(row["k_requested"]))
            values[key][row["method"], ""] = float(row[metric])
    return values


def ranking(
    fits: Iterable[Mapping[str, str]], references: Iterable[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """One row per image, K, metric and method (each implementation's best fit, each reference
    quantizer's output): its value and its rank among all methods (1 is best; equal values
    share a rank), and whether it is the best."""
    fits, references = list(fits), list(references)
    rows = []
    for metric in RANKED:
        higher = METRICS[metric].higher_is_better
        sign = -1.0 if higher else 1.0  # sign * value, ascending, puts the best first
        for (image, k), by_method in sorted(_values(fits, references, metric).items()):
            for method, value in sorted(by_method.items()):
                rank = 1 + sum(sign * v < sign * value for v in by_method.values())
                rows.append(
                    {
                        "image": image,
                        "k_requested": k,
                        "metric": metric,
                        "method": method[0],
                        "space": method[1],
                        "value": value,
                        "rank": rank,
                        "n_methods": len(by_method),
                        "best": rank == 1,
                    }
                )
    return rows


def write(fits: str | Path, references: str | Path, out: str | Path) -> None:
    """ranking.csv from fits.csv and reference.csv."""
    write_table(out, RANKING_COLUMNS, ranking(read_csv(fits), read_csv(references)))
