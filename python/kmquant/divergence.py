"""Where two runs from the same start part: each implementation stepped again one iteration at
a time from the shared start, and the first iteration at which two of them label a pixel
differently (docs/design.md, "Implementations").

Labels are those of each run's centres after an iteration, by one shared nearest-centre
function (`kmquant.labelling.nearest_centres`), so that two runs are compared by where their
centres are, not by how each library labels.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from kmquant.backends import Step
from kmquant.implementations import THREADS, call, limited_threads, ordered
from kmquant.labelling import nearest_centres
from kmquant.pixels import Pixels
from kmquant.spaces import RGB


class _Run:
    """One implementation's run from the shared start, stepped only as far as asked."""

    def __init__(self, steps: Iterator[Step], colours: np.ndarray) -> None:
        self._steps = steps
        self._colours = colours
        self._centres: np.ndarray | None = None
        self.iteration = 0  # of the centres last stepped to
        self.labels: np.ndarray | None = None
        self.converged = False
        self.ended = False

    def labels_at(self, iteration: int) -> np.ndarray | None:
        """The labels of the run's centres after `iteration`; None where the run has no
        centres for it (it ended with an error, or reports that iteration only as part of
        the next, as OpenCV does with its first)."""
        while not self.ended and self.iteration < iteration:
            step = next(self._steps, None)
            if step is None or step.centres is None:
                self.ended = True
            elif self._centres is not None and np.array_equal(
                step.centres, self._centres, equal_nan=True
            ):
                self.ended = self.converged = True  # it stays there from now on
            else:
                self._centres, self.iteration = step.centres, step.iteration
                self.labels = nearest_centres(self._colours, step.centres)
        if self.iteration == iteration or (self.converged and iteration > self.iteration):
            return self.labels
        return None


def _part(
    runs: dict[str, _Run], counts: np.ndarray, pairs: Sequence[tuple[str, str]], max_iter: int
) -> dict[tuple[str, str], tuple[int, int]]:
    """The runs stepped together until each pair has parted or come to rest: where each
    parted pair parts and how many pixels it labels differently there."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    left = list(pairs)
    for iteration in range(1, max_iter + 1):
        for a, b in list(left):
            labels_a, labels_b = runs[a].labels_at(iteration), runs[b].labels_at(iteration)
            if labels_a is not None and labels_b is not None:
                differ = labels_a != labels_b
                if differ.any():
                    found[a, b] = (iteration, int(counts[differ].sum()))
                    left.remove((a, b))
                    continue
            ended = [run for run in (runs[a], runs[b]) if run.ended]
            # Both at rest with the same labels, or one ended with an error: no parting.
            if len(ended) == 2 or any(not run.converged for run in ended):
                left.remove((a, b))
        if not left:
            break
    return found


def partings(
    pixels: Pixels,
    init: np.ndarray,
    pairs: Sequence[tuple[str, str]],
    max_iter: int,
    space: str = RGB,
) -> dict[tuple[str, str], tuple[int, int]]:
    """For each pair of implementations, run from `init` (in the coordinates of the colour
    `space`) on the fit sample in that space on the fits' threads (THREADS): the first
    iteration after which the two runs label some fit-sample pixel differently, and how many
    pixels differ there. A pair whose runs never part (or one of which ends with an error
    first) is left out. Each run is stepped only until all its pairs have parted."""
    if not pairs:
        return {}
    features = pixels.fit_in_space(space)
    colours, counts = pixels.fit_distinct_in_space(space)
    runs = {
        impl: _Run(call(impl, "steps", features, init, max_iter, THREADS), colours)
        for impl in ordered([impl for pair in pairs for impl in pair])
    }
    with limited_threads(runs, THREADS):
        return _part(runs, counts, pairs, max_iter)
