"""How far a Python fit and an R fit of the same task agree (docs/design.md, "Metrics")."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from kmquant.atomic import write_text
from kmquant.fitting import FitResult, load
from kmquant.initial import read_centres
from kmquant.labelling import count_tied_pixels
from kmquant.metrics import palette_8bit
from kmquant.pixels import Pixels

#: Centres closer than this (in [0, 1] feature units) count as equal.
CENTRE_TOLERANCE = 1e-9
#: Stand-in cost for an emptied (NaN) centre, so the assignment stays feasible.
_FAR = 1e6


def match_palettes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching of two palettes on squared distance: (rows of a, rows of b)."""
    cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return linear_sum_assignment(np.where(np.isnan(cost), _FAR, cost))


def matched_palettes(python: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both 8-bit palettes in matched order: colour j of one is paired with colour j of the
    other, so that a reader compares them side by side."""
    order_p, order_r = match_palettes(python, r)
    return palette_8bit(python[order_p]), palette_8bit(r[order_r])


def contingency(a: np.ndarray, b: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Pixels per (label in a, label in b), for non-negative integer labels, in a table of
    `shape` (default: up to the largest labels). Every pairwise statistic of two labelings
    follows from this small table, with no per-pixel copies."""
    rows, cols = shape or (int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1)
    pair = a.astype(np.int64) * cols
    pair += b
    return np.bincount(pair, minlength=rows * cols).reshape(rows, cols)


#: SSEs (8-bit units squared) below this are lossless up to floating-point noise.
_LOSSLESS_SSE = 1e-6


def relative_difference(a: float, b: float) -> float:
    """(b - a) / a; 0 when both are lossless up to floating-point noise."""
    if max(abs(a), abs(b)) < _LOSSLESS_SSE:
        return 0.0
    return (b - a) / a if a else math.inf


def verdict(share_equal_labels: float, max_centre_distance: float, max_image_diff: int) -> str:
    if share_equal_labels == 1.0 and max_centre_distance <= CENTRE_TOLERANCE:
        return "identical"
    return "same_image" if max_image_diff == 0 else "different"


def compare(python: FitResult, r: FitResult) -> dict[str, Any]:
    """The agreement record of a pair of fits; failed fits give status and no metrics."""
    record: dict[str, Any] = {
        "n_iter_python": python.meta["n_iter"],
        "n_iter_r": r.meta["n_iter"],
    }
    pair = (("python", python), ("r", r))
    failed = [f"{name} failed: {fit.meta['message']}" for name, fit in pair if not fit.ok]
    if failed:
        return record | {"status": "error", "verdict": "failed", "message": "; ".join(failed)}
    rows, cols = match_palettes(python.centres, r.centres)
    distance = np.sqrt(((python.centres[rows] - r.centres[cols]) ** 2).sum(axis=1))
    table = contingency(python.labels, r.labels, (len(python.centres), len(r.centres)))
    share = float(table[rows, cols].sum() / len(python.labels)) if len(python.labels) else 1.0
    # The two images differ most at a (Python colour, R colour) pair some pixel has.
    used_p, used_r = np.nonzero(table)
    image_diff = int(
        np.abs(
            palette_8bit(python.centres)[used_p].astype(np.int16)
            - palette_8bit(r.centres)[used_r].astype(np.int16)
        ).max(initial=0)
    )
    # An emptied (NaN) centre matches nothing: the palettes are then infinitely far apart.
    distance = np.nan_to_num(distance, nan=np.inf)
    max_distance = float(distance.max(initial=0.0))
    return record | {
        "status": "ok",
        "verdict": verdict(share, max_distance, image_diff),
        "message": "",
        "max_centre_distance_8bit": 255.0 * max_distance,
        "mean_centre_distance_8bit": 255.0 * float(distance.mean()),
        "share_equal_labels": share,
        "adjusted_rand_index": float(adjusted_rand_score(python.labels, r.labels)),
        "max_image_difference_8bit": image_diff,
        "relative_sse_difference": relative_difference(python.meta["fit_sse"], r.meta["fit_sse"]),
    }


def explain_shared_start(record: dict[str, Any], python: FitResult, r: FitResult, tied: int) -> str:
    """Why a pair of Lloyd runs from the same initial centres (matched or tied mode) is not
    identical: what the two runs recorded, never a bare "different".

    `tied` is the number of pixels exactly equidistant from two initial centres. A matched
    pair has none by construction, so a matched pair that is not identical names what was
    found (an emptied cluster, a run stopped at max_iter) or, failing that, how far apart the
    runs ended: a finding to investigate.
    """
    if record["verdict"] == "failed":
        return record["message"]
    iterations = (python.meta["n_iter"], r.meta["n_iter"])
    if record["verdict"] == "identical":
        if iterations[0] == iterations[1]:
            if python.meta["converged"] or r.meta["converged"]:
                return ""
            return (
                f"the same fit; both runs stopped at max_iter ({iterations[0]} iterations) "
                "and each is labelled against its final centres"
            )
        return (
            f"the same fit, reached in {iterations[0]} (python) and {iterations[1]} (r) iterations"
        )
    reasons = []
    empty = {name: fit.meta["n_empty_clusters"] for name, fit in (("python", python), ("r", r))}
    if any(empty.values()):
        reasons.append(
            "clusters emptied ("
            + ", ".join(f"{name}: {n}" for name, n in empty.items())
            + "); R's Lloyd keeps an emptied centre as NaN, scikit-learn moves it"
        )
    if tied:
        reasons.append(
            f"{tied} pixels are exactly equidistant from two initial centres and each "
            "implementation breaks such ties by its own floating-point rounding (scikit-learn "
            "centres the data and expands |x - c|^2 = |x|^2 - 2 x.c + |c|^2; R sums squared "
            "differences)"
        )
    if not (python.meta["converged"] and r.meta["converged"]):
        reasons.append(
            f"a run stopped at max_iter before converging ({iterations[0]} python and "
            f"{iterations[1]} r iterations)"
        )
    if not reasons:
        reasons.append(
            "a finding to investigate: no exact tie at the start, no emptied cluster and both "
            f"runs converged ({iterations[0]} python and {iterations[1]} r iterations), yet "
            f"{1 - record['share_equal_labels']:.3g} of the pixels are labelled differently "
            f"and the palettes lie up to {record['max_centre_distance_8bit']:.3g} 8-bit units "
            "apart"
        )
    return "; ".join(reasons)


def pair_record(
    python: FitResult, r: FitResult, shared_start: tuple[Pixels, np.ndarray] | None
) -> dict[str, Any]:
    """The stored record of one Python/R pair: which task, how far the fits agree and, for a
    shared start (the pixels and the initial centres in [0, 1]), how many fit-sample pixels
    were exactly tied at the start and what a pair that is not identical shows."""
    record = compare(python, r)
    tied = None
    if shared_start is not None:
        pixels, init = shared_start
        # Exact for lattice colours: the tie count is over integer colour values.
        tied = count_tied_pixels(pixels.fit_colours(), init * pixels.max_value)
        record["message"] = explain_shared_start(record, python, r, tied)
    ident = {key: python.meta[key] for key in ("image", "mode", "k_requested", "seed")}
    return (
        ident
        | record
        | {
            "k_effective_python": python.meta["k_effective"],
            "k_effective_r": r.meta["k_effective"],
            "tied_initial_pixels": tied,
        }
    )


def write_pair_records(
    pythons: Sequence[str | Path], rs: Sequence[str | Path], outs: Sequence[str | Path],
    pixels: Pixels | None = None, inits: Sequence[str | Path] = (),
) -> None:  # fmt: skip
    """The records of several Python/R pairs of one image (seeds of one mode and K), each to
    its own JSON file; pairs of a shared start are given the pixels and each pair's start."""
    starts = [read_centres(path) for path in inits] if inits else [None] * len(outs)
    for python, r, start, out in zip(pythons, rs, starts, outs, strict=True):
        shared = None if start is None or pixels is None else (pixels, start)
        record = pair_record(load(python), load(r), shared)
        write_text(out, json.dumps(record, sort_keys=True, indent=1) + "\n")
