"""Matched-mode trajectories: each language stepped one Lloyd iteration at a time.

Every step calls the language's own fit with max_iter = 1 from the centres the previous
step returned, so agreement is shown at every iteration, not only at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmquant.fitting import RawFit
from kmquant.labelling import nearest_labels
from kmquant.metrics import sse_8bit
from kmquant.pixels import Pixels

Step = Callable[[np.ndarray, np.ndarray, int], RawFit]


@dataclass(frozen=True)
class Trajectory:
    centres: np.ndarray  # (iterations + 1) x K x 3: the start, then after every iteration
    sse: np.ndarray  # objective at each of those centres (nearest-centre labels), 8-bit units
    converged: bool
    error: str | None = None


def step_through(step: Step, pixels: Pixels, init: np.ndarray, max_iter: int) -> Trajectory:
    """Lloyd one iteration at a time until the centres stop moving or max_iter.

    An error (R's Lloyd on an emptied cluster, say) ends the trajectory where it happened.
    """
    features = pixels.fit_features()
    centres = [init]
    for _ in range(max_iter):
        raw = step(features, centres[-1], 1)
        if raw.centres is None:
            return _finish(pixels, centres, converged=False, error=raw.error)
        if np.array_equal(raw.centres, centres[-1], equal_nan=True):
            return _finish(pixels, centres, converged=True)
        centres.append(raw.centres)
    return _finish(pixels, centres, converged=False)


def _finish(
    pixels: Pixels, centres: list[np.ndarray], converged: bool, error: str | None = None
) -> Trajectory:
    features = pixels.features()
    sse = [
        sse_8bit(features, c, nearest_labels(pixels.colours, pixels.max_value, c)) for c in centres
    ]
    return Trajectory(np.stack(centres), np.array(sse), converged, error)
