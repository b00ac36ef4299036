"""SciPy's `scipy.cluster.vq.kmeans2`: Lloyd in double precision with no stopping rule."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.cluster.vq import kmeans2

from kmquant.backends import Fitted, RawFit, Step, guarded, stepped


def _kmeans2(
    features: np.ndarray, start: np.ndarray | int, iterations: int, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    return kmeans2(features, start, iter=iterations, missing="warn", **options)


def _moves(features: np.ndarray, centres: np.ndarray) -> bool:
    """kmeans2 says nothing of convergence: whether one more of its own iterations from its
    result moves a centre tells whether that result is a fixed point."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moved, _ = _kmeans2(features, centres, 1, minit="matrix")
    return not np.array_equal(moved, centres)


def _run(
    features: np.ndarray, start: np.ndarray | int, iterations: int, check: bool, **options: Any
) -> RawFit:
    def fit() -> Fitted:
        centres, labels = _kmeans2(features, start, iterations, **options)
        return Fitted(centres, labels, iterations, check and not _moves(features, centres))

    raw = guarded(fit)
    # It warns in every iteration that leaves a cluster empty: one line says how often.
    if len(raw.warnings) > 1 and len(set(raw.warnings)) == 1:
        raw.warnings = [f"{raw.warnings[0]} (in {len(raw.warnings)} iterations)"]
    return raw


def fit_shared(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> RawFit:
    """kmeans2(x, C0, iter=max_iter, minit="matrix"): exactly max_iter iterations."""
    return _run(features, init.copy(), max_iter, True, minit="matrix")


def fit_native(
    features: np.ndarray, k: int, seed: int, max_iter: int, threads: int | None
) -> RawFit:
    """kmeans2's own start (minit="random": a Gaussian of the data's mean and covariance),
    seeded by `rng`."""
    return _run(features, k, max_iter, True, rng=seed)


def _one_iteration(
    features: np.ndarray, centres: np.ndarray, iterations: int, threads: int | None
) -> RawFit:
    return _run(features, centres.copy(), iterations, False, minit="matrix")


def steps(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> Iterator[Step]:
    return stepped(_one_iteration, features, init, max_iter, threads)
