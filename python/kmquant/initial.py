"""The shared initial centres of the matched and tied modes: K distinct colours of the fit
sample, moved off the colour lattice for matched mode (docs/design.md, "Modes")."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kmquant.atomic import write_text
from kmquant.modes import MODES
from kmquant.pixels import Pixels, distinct_colours
from kmquant.runs import Run
from kmquant.spaces import RGB, SPACES


def effective_k(k_requested: int, n_distinct: int) -> int:
    """K cannot exceed the number of distinct colours the fit sees."""
    return min(k_requested, n_distinct)


def initial_centres(
    pixels: Pixels, k: int, seed: int, off_lattice: bool, space: str = RGB
) -> np.ndarray:
    """min(K, #distinct) distinct fit-sample colours drawn with default_rng(seed), in [0, 1];
    `off_lattice`, each channel then moved by an offset drawn by the same generator uniformly
    from [-0.5, 0.5) colour steps. In a colour `space` (kmquant.spaces), the same centres
    transformed into it: the same start seen in the space's coordinates.

    Drawing from distinct colours, not from pixels, keeps R from stopping with
    "initial centers are not distinct". On the lattice, thousands of pixels are exactly
    equidistant from two centres and each implementation breaks those ties by its own rounding;
    the offset keeps every centre inside its colour's cell (so the draw is still one of K
    distinct colours) while leaving no pixel tied. The colours are drawn first, so a lattice
    start and an off-lattice start of the same seed share them.
    """
    distinct = distinct_colours(pixels.fit_colours(), pixels.max_value)[0]
    k_eff = effective_k(k, len(distinct))
    rng = np.random.default_rng(seed)
    centres = distinct[rng.choice(len(distinct), size=k_eff, replace=False)].astype(np.float64)
    if off_lattice:
        centres += rng.uniform(-0.5, 0.5, size=centres.shape)
    return SPACES[space].forward(centres / pixels.max_value)


def write_centres(centres: np.ndarray, path: str | Path) -> None:
    """CSV with columns r, g, b; repr() of a float round-trips exactly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list("rgb"))  # the channels
    writer.writerows([[repr(float(v)) for v in row] for row in centres])
    write_text(path, out.getvalue())


def write_starts(pixels: Pixels, runs: Sequence[Run]) -> None:
    """The shared initial centres of each run (K, mode, seed) of one image, to its file."""
    for run in runs:
        off_lattice = MODES[run.mode].off_lattice
        write_centres(initial_centres(pixels, run.k, run.seed, off_lattice), run.out)


def read_centres(path: str | Path) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64).reshape(-1, 3)
