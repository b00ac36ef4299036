"""How far two fits of the same task agree, for every pair of implementations that ran it
(docs/design.md, "Metrics" and "Implementations")."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.atomic import write_text
from kmquant.fitting import FitResult, load, load_meta, space_of
from kmquant.implementations import IMPLEMENTATIONS, pairs
from kmquant.initial import read_centres
from kmquant.labelling import count_tied_pixels, count_tied_points
from kmquant.metrics import palette_8bit
from kmquant.pixels import Pixels
from kmquant.runs import Run
from kmquant.spaces import RGB, SPACES

#: Centres closer than this (in [0, 1] feature units) count as equal.
CENTRE_TOLERANCE = 1e-9
#: Stand-in cost for an emptied (NaN) centre, so the assignment stays feasible.
_FAR = 1e6


def match_palettes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching of two palettes on squared distance: (rows of a, rows of b)."""
    from scipy.optimize import linear_sum_assignment

    cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return linear_sum_assignment(np.where(np.isnan(cost), _FAR, cost))


def matched_palettes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both 8-bit palettes in matched order: colour j of one is paired with colour j of the
    other, so that a reader compares them side by side."""
    order_a, order_b = match_palettes(a, b)
    return palette_8bit(a[order_a]), palette_8bit(b[order_b])


def contingency(a: np.ndarray, b: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Pixels per (label in a, label in b), for non-negative integer labels, in a table of
    `shape` (default: up to the largest labels). Every pairwise statistic of two labelings
    follows from this small table, with no per-pixel copies."""
    rows, cols = shape or (int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1)
    pair = a.astype(np.int64) * cols
    pair += b
    return np.bincount(pair, minlength=rows * cols).reshape(rows, cols)


def adjusted_rand_index(table: np.ndarray) -> float:
    """The adjusted Rand index (Hubert and Arabie 1985) of two labelings from their contingency
    table, computed as `sklearn.metrics.adjusted_rand_score` computes it from the labels (the
    same integers, the same final division), without its sorted copies of every label. Exact
    below 3e9 pixels, where the pair counts fit int64, as in scikit-learn."""
    table = table.astype(np.int64, copy=False)
    n = int(table.sum())
    sum_squares = int((table**2).sum())
    tp = sum_squares - n
    fp = int((table @ table.sum(axis=0)).sum()) - sum_squares
    fn = int((table.T @ table.sum(axis=1)).sum()) - sum_squares
    tn = n**2 - fp - fn - sum_squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


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


def compare(a: FitResult, b: FitResult) -> dict[str, Any]:
    """The agreement record of a pair of fits (a first in the registry's order); failed fits
    give status and no metrics."""
    record: dict[str, Any] = {"n_iter_a": a.meta["n_iter"], "n_iter_b": b.meta["n_iter"]}
    failed = [f"{fit.meta['impl']} failed: {fit.meta['message']}" for fit in (a, b) if not fit.ok]
    if failed:
        return record | {"status": "error", "verdict": "failed", "message": "; ".join(failed)}
    rows, cols = match_palettes(a.centres, b.centres)
    distance = np.sqrt(((a.centres[rows] - b.centres[cols]) ** 2).sum(axis=1))
    table = contingency(a.labels, b.labels, (len(a.centres), len(b.centres)))
    share = float(table[rows, cols].sum() / len(a.labels)) if len(a.labels) else 1.0
    # The two images differ most at a (colour of a, colour of b) pair some pixel has.
    used_a, used_b = np.nonzero(table)
    image_diff = int(
        np.abs(
            palette_8bit(a.centres)[used_a].astype(np.int16)
            - palette_8bit(b.centres)[used_b].astype(np.int16)
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
        "adjusted_rand_index": adjusted_rand_index(table),
        "max_image_difference_8bit": image_diff,
        "relative_sse_difference": relative_difference(a.meta["fit_sse"], b.meta["fit_sse"]),
    }


def compare_in_space(a: FitResult, b: FitResult, space: str) -> dict[str, Any]:
    """`compare` of two fits in a colour space (kmquant.spaces), each centre taken back to
    sRGB in [0, 1] unclipped, so that one tolerance (CENTRE_TOLERANCE) serves every space."""
    inverse = SPACES[space].inverse
    return compare(*(FitResult(inverse(fit.centres), fit.labels, fit.meta) for fit in (a, b)))


def _iterations(fit: FitResult) -> str:
    n_iter = fit.meta["n_iter"]
    return f"{'an unreported number of' if n_iter is None else n_iter} {fit.meta['impl']}"


#: Where two runs from one start part: (the first iteration whose labels differ, pixels whose
#: labels differ there); None where they never part.
Parting = tuple[int, int] | None


#: The causes a pair from one start can have for not being identical, as the `causes` column
#: names them: clusters emptied, pixels exactly tied at the start, single precision, an
#: iteration cap below max_iter, a run stopped at max_iter, and none of these.
CAUSES = ("emptied", "ties", "float32", "iteration_cap", "max_iter", "unexplained")


def explain_shared_start(
    record: Mapping[str, Any], a: FitResult, b: FitResult, tied: int, parting: Parting = None
) -> tuple[list[str], str]:
    """Why a pair of runs from the same initial centres (matched or tied mode) is not
    identical, from what the two runs recorded and what the registry says of each
    implementation: the causes (of CAUSES) and a sentence, never a bare "different".

    `tied` is the number of pixels exactly equidistant from two initial centres; a matched
    pair has none by construction. A pair that is not identical names each cause found and
    where the two runs part; with no cause found it says how far apart the runs ended: a
    finding to investigate. An identical pair has no cause; its sentence notes other
    iteration counts or a stop at max_iter.
    """
    if record["verdict"] == "failed":
        return [], record["message"]
    fits = (a, b)
    entries = [IMPLEMENTATIONS[fit.meta["impl"]] for fit in fits]
    iterations = [fit.meta["n_iter"] for fit in fits]
    if record["verdict"] == "identical":
        if iterations[0] == iterations[1]:
            if a.meta["converged"] or b.meta["converged"]:
                return [], ""
            return [], (
                f"the same fit; both runs stopped at max_iter ({iterations[0]} iterations) "
                "and each is labelled against its final centres"
            )
        return [], f"the same fit, reached in {_iterations(a)} and {_iterations(b)} iterations"
    reasons: list[tuple[str, str]] = []
    empty = {fit.meta["impl"]: fit.meta["n_empty_clusters"] for fit in fits}
    if any(empty.values()):
        counts = ", ".join(f"{name}: {n}" for name, n in empty.items())
        on_empty = "; ".join(f"{entry.library} {entry.on_empty}" for entry in entries)
        reasons.append(("emptied", f"clusters emptied ({counts}); {on_empty}"))
    if tied:
        rounding = "; ".join(f"{entry.library} {entry.distance}" for entry in entries)
        reasons.append(
            (
                "ties",
                f"{tied} pixels are exactly equidistant from two initial "
                "centres and each implementation breaks such ties by its own floating-point "
                f"rounding ({rounding})",
            )
        )
    reasons += [
        (
            "float32",
            f"{entry.library} computes in single precision (float32), so its centre "
            "means and distances round otherwise than in double precision",
        )
        for entry in entries
        if not entry.exact
    ]
    reasons += [
        (
            "iteration_cap",
            f"{entry.library} stops after at most {entry.iteration_cap} "
            "iterations whatever max_iter asks, and had not converged by then",
        )
        for entry, fit in zip(entries, fits, strict=True)
        if entry.iteration_cap is not None and not fit.meta["converged"]
    ]
    if not (a.meta["converged"] and b.meta["converged"]):
        reasons.append(
            (
                "max_iter",
                f"a run stopped at max_iter before converging "
                f"({_iterations(a)} and {_iterations(b)} iterations)",
            )
        )
    if not reasons:
        reasons.append(
            (
                "unexplained",
                "a finding to investigate: no exact tie at the start, no emptied cluster and both "
                f"runs converged ({_iterations(a)} and {_iterations(b)} iterations), yet "
                f"{1 - record['share_equal_labels']:.3g} of the pixels are labelled differently "
                f"and the palettes lie up to {record['max_centre_distance_8bit']:.3g} 8-bit units "
                "apart",
            )
        )
    sentences = [text for _, text in reasons]
    if parting is not None:
        sentences.append(
            f"their labels first differ after iteration {parting[0]}, where {parting[1]} "
            "pixels flip"
        )
    return sorted({cause for cause, _ in reasons}, key=CAUSES.index), "; ".join(sentences)


def pair_record(
    a: FitResult,
    b: FitResult,
    tied: int | None = None,
    parting: Parting = None,
    compared: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored record of one pair of fits of one task: which task and implementations,
    how far the fits agree (`compared`, where `compare` already ran) and, for a shared start
    (`tied` is then the number of fit-sample pixels exactly tied at the start), what a pair
    that is not identical shows and where the two runs part."""
    record = dict(compared) if compared is not None else compare(a, b)
    causes: list[str] = []
    if tied is not None:
        causes, record["message"] = explain_shared_start(record, a, b, tied, parting)
    ident = {key: a.meta[key] for key in ("image", "mode", "k_requested", "seed")}
    # A pair in sRGB names no space, as its fits do not (kmquant.fitting.complete).
    space = space_of(a.meta)
    return (
        ident
        | ({} if space == RGB else {"space": space})
        | {"impl_a": a.meta["impl"], "impl_b": b.meta["impl"]}
        | record
        | {
            "k_effective_a": a.meta["k_effective"],
            "k_effective_b": b.meta["k_effective"],
            "causes": " ".join(causes),
            "tied_initial_pixels": tied,
            "parting_iteration": None if parting is None else parting[0],
            "parting_pixels": None if parting is None else parting[1],
        }
    )


def _labels_differ(record: Mapping[str, Any]) -> bool:
    """Whether two fits label some pixel differently: only such runs part somewhere; two fits
    with the same labels differ only in the rounding of their centres."""
    return record["status"] == "ok" and record["share_equal_labels"] < 1.0


def tied_at_start(pixels: Pixels, init: np.ndarray, space: str) -> int:
    """Fit-sample pixels exactly equidistant from two of the initial centres `init` (sRGB in
    [0, 1]) in a colour `space`: in sRGB over the integer colours, exact for the lattice
    colours of the tied start; elsewhere over the floats a fit in the space reads."""
    if space == RGB:
        return count_tied_pixels(pixels.fit_colours(), init * pixels.max_value)
    return count_tied_points(*pixels.fit_distinct_in_space(space), SPACES[space].forward(init))


def task_records(
    fits: Sequence[FitResult],
    start: tuple[Pixels, np.ndarray] | None,
    max_iter: int,
    space: str = RGB,
) -> list[dict[str, Any]]:
    """The records of every pair of the fits of one task (image, mode, K, seed, colour
    space), in the registry's order, compared in sRGB (`compare_in_space`). From a shared start
    (`start`: the pixels and the initial centres, sRGB in [0, 1]) the pixels tied at the start
    are counted once, and the runs of each pair whose labels differ are stepped again from the
    start to find where they part."""
    from kmquant.divergence import partings

    by_impl = {fit.meta["impl"]: fit for fit in fits}
    compared = {
        (a, b): compare_in_space(by_impl[a], by_impl[b], space) for a, b in pairs(list(by_impl))
    }
    tied, parted = None, {}
    if start is not None:
        pixels, init = start
        tied = tied_at_start(pixels, init, space)
        apart = [pair for pair, record in compared.items() if _labels_differ(record)]
        parted = partings(pixels, SPACES[space].forward(init), apart, max_iter, space)
    return [
        pair_record(by_impl[a], by_impl[b], tied, parted.get((a, b)), record)
        for (a, b), record in compared.items()
    ]


def write_pair_records(
    fits: Sequence[str | Path], runs: Sequence[Run], max_iter: int, pixels: Pixels | None
) -> None:
    """The pair records of the fits of one image: for each run of `runs` (a K, mode and seed,
    kmquant.runs), every pair of the implementations that ran it, as one JSON list at
    the run's `out`; the pairs of a run with initial centres are given `pixels` and that
    start. One run's label maps are held at a time."""
    metas = [load_meta(path) for path in fits]
    for run in runs:
        own = [
            load(path)
            for path, meta in zip(fits, metas, strict=True)
            if (meta["k_requested"], meta["mode"], meta["seed"], space_of(meta))
            == (run.k, run.mode, run.seed, run.space)
        ]
        start = None if run.init is None or pixels is None else (pixels, read_centres(run.init))
        records = task_records(own, start, max_iter, run.space)
        write_text(run.out, json.dumps(records, sort_keys=True, indent=1) + "\n")
