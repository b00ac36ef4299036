"""Matched-mode trajectories of the headline pair: each implementation stepped one Lloyd
iteration at a time.

Every step calls the implementation's own fit with max_iter = 1 from the centres the previous
step returned, so agreement is shown at every iteration, not only at the end.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.agreement import CENTRE_TOLERANCE
from kmquant.atomic import atomic_path
from kmquant.fitting import FitResult, load
from kmquant.implementations import THREADS, call, limited_threads
from kmquant.labelling import nearest_centres
from kmquant.metrics import sse_8bit
from kmquant.pixels import Pixels
from kmquant.tables import (
    CONVERGENCE_CENTRE_COLUMNS,
    CONVERGENCE_CHECK_COLUMNS,
    CONVERGENCE_COLUMNS,
    write_table,
)


@dataclass(frozen=True)
class Trajectory:
    centres: np.ndarray  # the start, then after every iteration stepped: entries x K x 3
    #: The iteration after which each entry stands: 0 for the start, then each step's own
    #: number, which is consecutive from 1, or from 2 for an implementation that takes the
    #: start as labels (OpenCV: its first step ends iteration 2, iteration 1 has no centres).
    iterations: np.ndarray
    sse: np.ndarray  # objective at each of those centres (nearest-centre labels), 8-bit units
    converged: bool
    error: str | None = None


def step_through(impl: str, pixels: Pixels, init: np.ndarray, max_iter: int) -> Trajectory:
    """A run of `impl` one iteration at a time (its backend's `steps`) until the centres stop
    moving or max_iter, on the fits' threads (THREADS).

    An error (R's kmeans given centres that are not distinct, say) ends the trajectory where it
    happened.
    """
    centres, iterations = [init], [0]
    with limited_threads([impl], THREADS):
        for step in call(impl, "steps", pixels.fit_features(), init, max_iter, THREADS):
            if step.centres is None:
                return _finish(pixels, centres, iterations, converged=False, error=step.error)
            if np.array_equal(step.centres, centres[-1], equal_nan=True):
                return _finish(pixels, centres, iterations, converged=True)
            centres.append(step.centres)
            iterations.append(step.iteration)
    return _finish(pixels, centres, iterations, converged=False)


def _finish(
    pixels: Pixels,
    centres: list[np.ndarray],
    iterations: list[int],
    converged: bool,
    error: str | None = None,
) -> Trajectory:
    # Each pixel's nearest centre depends only on its colour: sum over distinct colours.
    distinct, _, counts = pixels.grouping
    features = distinct / pixels.max_value
    sse = [sse_8bit(features, c, nearest_centres(features, c), counts) for c in centres]
    return Trajectory(np.stack(centres), np.array(iterations), np.array(sse), converged, error)


def compare_with_full_run(trace: Trajectory, full: FitResult) -> dict[str, Any]:
    """Does the stepped run end where the single full run ended?"""
    record: dict[str, Any] = {
        "stepped_iterations": int(trace.iterations[-1]),
        "stepped_converged": trace.converged,
        "stepped_error": trace.error or "",
        "full_iterations": full.meta["n_iter"],
        "full_converged": full.meta["converged"],
    }
    if not full.ok or trace.centres[-1].shape != full.centres.shape:
        return record | {"max_end_difference_8bit": None, "ends_equal": False}
    difference = float(np.nan_to_num(np.abs(trace.centres[-1] - full.centres), nan=np.inf).max())
    return record | {
        "max_end_difference_8bit": 255.0 * difference,
        "ends_equal": difference <= CENTRE_TOLERANCE,
    }


def trace_pair(
    pixels: Pixels, init: np.ndarray, fulls: dict[str, FitResult], max_iter: int
) -> tuple[dict[str, Any], dict[str, Trajectory], dict[str, dict[str, Any]]]:
    """Each implementation of `fulls` stepped one iteration at a time from `init`, each
    checked against its own single full run: the task, the trajectories, the checks."""
    trajectories, checks = {}, {}
    for impl, full in fulls.items():
        trajectories[impl] = step_through(impl, pixels, init, max_iter)
        checks[impl] = compare_with_full_run(trajectories[impl], full)
    full = next(iter(fulls.values()))
    ident = {key: full.meta[key] for key in ("image", "k_requested", "k_effective", "seed")}
    return ident, trajectories, checks


def save(
    path: str | Path,
    ident: dict[str, Any],
    trajectories: dict[str, Trajectory],
    checks: dict[str, dict[str, Any]],
) -> None:
    arrays = {}
    for impl, trace in trajectories.items():
        arrays[f"{impl}_centres"] = trace.centres
        arrays[f"{impl}_iterations"] = trace.iterations
        arrays[f"{impl}_sse"] = trace.sse
    meta = json.dumps({"ident": ident, "checks": checks}, sort_keys=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        # mypy matches **arrays against savez_compressed's allow_pickle: bool too, though no key
        # here is "allow_pickle".
        np.savez_compressed(handle, meta=np.array(meta), **arrays)  # type: ignore[arg-type]


def _by_iteration(arrays: dict[str, np.ndarray], impl: str) -> dict[int, np.ndarray]:
    """A traced run's centres by the iteration they follow. A trace saved before traces held
    their iterations numbers its entries 0, 1, 2, ..., as they were for every implementation
    traced then (only OpenCV, never traced by the workflow, skips iteration 1)."""
    centres = arrays[f"{impl}_centres"]
    iterations = arrays.get(f"{impl}_iterations", np.arange(len(centres)))
    return {int(i): c for i, c in zip(iterations, centres, strict=True)}


def table_rows(
    path: str | Path,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(per-iteration rows, per-iteration centre rows, end-point checks) of one traced task."""
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {key: data[key] for key in data.files if key != "meta"}
    ident = meta["ident"]
    impls = sorted(meta["checks"])
    runs = {impl: _by_iteration(arrays, impl) for impl in impls}
    iterations, centres = [], []
    for impl in impls:
        own = runs[impl]
        others = [runs[o] for o in impls if o != impl]
        for n, (i, c) in enumerate(own.items()):
            # the shift of one iteration, from the centres after the one before
            shift = np.abs(c - own[i - 1]).max() if i - 1 in own else None
            gap = [np.abs(c - o[i]).max() for o in others if i in o]
            iterations.append(
                ident
                | {
                    "impl": impl,
                    "iteration": i,
                    "sse": float(arrays[f"{impl}_sse"][n]),
                    "max_centre_shift_8bit": None if shift is None else 255.0 * float(shift),
                    "max_difference_to_other_8bit": 255.0 * float(gap[0]) if gap else None,
                }
            )
            centres += [
                ident
                | {
                    "impl": impl,
                    "iteration": i,
                    "cluster": j,
                    "red": 255.0 * rgb[0],
                    "green": 255.0 * rgb[1],
                    "blue": 255.0 * rgb[2],
                }
                for j, rgb in enumerate(c.tolist())
            ]
    checks = [ident | {"impl": impl} | meta["checks"][impl] for impl in impls]
    return iterations, centres, checks


def write_trace(
    pixels: Pixels, init: np.ndarray, fits: Sequence[str | Path], out: str | Path, max_iter: int
) -> None:
    """The trace of one task: each implementation of `fits` (its full run) stepped from `init`."""
    fulls = {fit.meta["impl"]: fit for fit in map(load, fits)}
    save(out, *trace_pair(pixels, init, fulls, max_iter))


def write_tables(
    traces: Sequence[str | Path], iterations: str | Path, centres: str | Path, checks: str | Path
) -> None:
    """convergence.csv, convergence_centres.csv and convergence_check.csv of every trace."""
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] = ([], [], [])
    for path in traces:
        for table, more in zip(rows, table_rows(path), strict=True):
            table += more
    columns = (CONVERGENCE_COLUMNS, CONVERGENCE_CENTRE_COLUMNS, CONVERGENCE_CHECK_COLUMNS)
    for out, table_columns, table in zip((iterations, centres, checks), columns, rows, strict=True):
        write_table(out, table_columns, table)
