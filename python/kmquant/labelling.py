"""Nearest-centre questions asked of every pixel, answered once per distinct colour.

One shared labelling function serves every implementation's palettes.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from kmquant.pixels import Pixels, distinct_colours
from kmquant.spaces import RGB

#: Distinct colours per block of a distance computation (bounds memory to ~block x K values).
_BLOCK = 8192


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> Iterator[np.ndarray]:
    """Blocks of the points x centres matrix of sums of squared differences."""
    for start in range(0, len(points), _BLOCK):
        block = points[start : start + _BLOCK]
        yield ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


#: Distances this close to the minimum (squared, in [0, 1] units) are rechecked exactly.
_RECHECK = 1e-9


def _nearest_block(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Nearest centre per point: fast |x|^2 - 2x.c + |c|^2 by BLAS, then every point whose
    best two distances lie within rounding of each other is decided by exact sums of
    squared differences (first centre on a tie), as R decides it."""
    finite = np.where(np.isnan(centres), 0.0, centres)
    approx = (points**2).sum(axis=1)[:, None] - 2.0 * points @ finite.T + (finite**2).sum(axis=1)
    approx[:, np.isnan(centres).any(axis=1)] = np.inf
    best = np.argmin(approx, axis=1)
    close = (approx <= approx[np.arange(len(points)), best][:, None] + _RECHECK).sum(axis=1) > 1
    if close.any():
        exact = ((points[close][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        best[close] = np.argmin(np.where(np.isnan(exact), np.inf, exact), axis=1)
    return best


def label_dtype(k: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned integer type that holds labels 0 .. k - 1."""
    return np.uint8 if k <= 256 else np.uint16 if k <= 65536 else np.uint32


def nearest_labels(pixels: Pixels, centres: np.ndarray, space: str = RGB) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean in a colour `space`, first on ties) for
    each pixel of an image, in the smallest integer type that holds it.

    Computed once per distinct colour (`Pixels.in_space`), then looked up for every pixel: no
    N x K distance matrix. Centres that are NaN (an emptied R cluster) are never nearest.
    """
    return nearest_centres(pixels.in_space(space), centres)[pixels.grouping[1]]


def nearest_centres(features: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each row of `features` (in [0, 1] units), in blocks so
    that memory stays bounded, as the smallest integer type that holds it."""
    best = np.zeros(len(features), dtype=label_dtype(len(centres)))
    for start in range(0, len(features), _BLOCK):
        best[start : start + _BLOCK] = _nearest_block(features[start : start + _BLOCK], centres)
    return best


#: Candidates for an exact tie: best two distances within this relative gap in floating point
#: (rounding alone moves a sum of three squares by a few parts in 1e16).
_TIE_CANDIDATE = 1e-9


def count_tied_pixels(colours: np.ndarray, centres: np.ndarray) -> int:
    """Pixels exactly equidistant from their two (or more) nearest centres.

    `colours` are integer colours and `centres` floats on the same scale (for the shared
    starts, the initial centres times the image's max value: exactly the lattice colours for
    the tied start). Floating point only shortlists the candidates; each is decided in exact
    rational arithmetic. Exact ties are broken by floating-point rounding, which differs
    between scikit-learn and R.
    """
    distinct, _, counts = distinct_colours(colours, int(colours.max(initial=0)))
    return count_tied_points(distinct.astype(np.float64), counts, centres)


def count_tied_points(points: np.ndarray, counts: np.ndarray, centres: np.ndarray) -> int:
    """Pixels exactly equidistant from their two (or more) nearest centres, of the distinct
    `points` (float64 coordinates in any colour space, each standing for `counts` pixels):
    the sums of squares are compared in exact rational arithmetic on the floats themselves,
    which is how the tie is decided for a run that reads those floats."""
    exact_centres = [tuple(Fraction(float(v)) for v in row) for row in centres]
    tied = 0
    start = 0
    for d2 in _squared_distances(points, centres):
        best = d2.min(axis=1, keepdims=True)
        near = d2 <= best * (1 + _TIE_CANDIDATE) + _TIE_CANDIDATE
        for row in np.flatnonzero(near.sum(axis=1) > 1):
            point = [Fraction(float(x)) for x in points[start + row]]
            exact = [
                sum((c - x) ** 2 for c, x in zip(exact_centres[j], point, strict=True))
                for j in np.flatnonzero(near[row])
            ]
            if exact.count(min(exact)) > 1:
                tied += int(counts[start + row])
        start += len(d2)
    return tied
