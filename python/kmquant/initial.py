"""Matched-mode initial centres: K distinct colours of the fit sample (design section 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from kmquant.atomic import write_text
from kmquant.pixels import Pixels, distinct_colours


def effective_k(k_requested: int, n_distinct: int) -> int:
    """K cannot exceed the number of distinct colours the fit sees."""
    return min(k_requested, n_distinct)


def initial_centres(pixels: Pixels, k: int, seed: int) -> np.ndarray:
    """min(K, #distinct) distinct fit-sample colours drawn with default_rng(seed), in [0, 1].

    Drawing from distinct colours, not from pixels, keeps R from stopping with
    "initial centers are not distinct".
    """
    distinct = distinct_colours(pixels.fit_colours(), pixels.max_value)[0]
    k_eff = effective_k(k, len(distinct))
    rows = np.random.default_rng(seed).choice(len(distinct), size=k_eff, replace=False)
    return distinct[rows].astype(np.float64) / pixels.max_value


def write_centres(centres: np.ndarray, path: str | Path) -> None:
    """CSV with columns r, g, b; repr() of a float round-trips exactly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["r", "g", "b"])
    writer.writerows([[repr(float(v)) for v in row] for row in centres])
    write_text(path, out.getvalue())


def read_centres(path: str | Path) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64).reshape(-1, 3)
