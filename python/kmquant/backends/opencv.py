"""OpenCV's `cv2.kmeans`: Lloyd in single precision, started from labels, not centres."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from kmquant.backends import Fitted, RawFit, Step, guarded
from kmquant.labelling import nearest_centres


def _samples(features: np.ndarray) -> np.ndarray:
    """One 3-channel sample per row: OpenCV reads a matrix of one row as samples of one
    dimension each, so the pixels of a one-pixel image must not be a plain 1 x 3 matrix."""
    return features.astype(np.float32).reshape(len(features), 1, features.shape[1])


def _kmeans(
    data: np.ndarray, k: int, labels: np.ndarray | None, iterations: int, flags: int
) -> tuple[np.ndarray, np.ndarray]:
    """One cv2.kmeans call with one attempt, stopping when no centre moves (epsilon 0) or
    after `iterations` (OpenCV makes that at least 2 and at most 100)."""
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, iterations, 0.0)
    start = None if labels is None else labels.astype(np.int32).reshape(-1, 1)
    _, found, centres = cv2.kmeans(data, k, start, criteria, 1, flags)
    return found.ravel(), centres


def _from_labels(
    data: np.ndarray, labels: np.ndarray, k: int, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    return _kmeans(data, k, labels, iterations, cv2.KMEANS_USE_INITIAL_LABELS)


def _moves(data: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> bool:
    """cv2.kmeans says neither how many iterations it ran nor whether it converged: one more
    iteration of its own from its result tells whether that result is a fixed point."""
    return not np.array_equal(_from_labels(data, labels, len(centres), 2)[1], centres)


def _threads(threads: int | None) -> None:
    cv2.setNumThreads(threads if threads else -1)  # OpenCV's own pool; -1: its default


def _finish(data: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> Fitted:
    return Fitted(centres, labels, None, not _moves(data, labels, centres))


def fit_shared(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> RawFit:
    """From the labels of every point's nearest initial centre: OpenCV's first step computes
    the centres of those labels, which is the first centre update of Lloyd from `init`."""
    _threads(threads)
    data = _samples(features)
    start = nearest_centres(features, init)

    def fit() -> Fitted:
        return _finish(data, *_from_labels(data, start, len(init), max_iter))

    return guarded(fit)


def fit_native(
    features: np.ndarray, k: int, seed: int, max_iter: int, threads: int | None
) -> RawFit:
    """k-means++ (KMEANS_PP_CENTERS) from OpenCV's own generator, seeded by setRNGSeed."""
    _threads(threads)
    data = _samples(features)

    def fit() -> Fitted:
        cv2.setRNGSeed(seed)
        return _finish(data, *_kmeans(data, k, None, max_iter, cv2.KMEANS_PP_CENTERS))

    return guarded(fit)


def _step(data: np.ndarray, labels: np.ndarray, k: int) -> RawFit:
    """One iteration from labels: their centres, new labels, and the centres of those."""

    def fit() -> Fitted:
        found, centres = _from_labels(data, labels, k, 2)
        return Fitted(centres, found, None, False)

    return guarded(fit)


def steps(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> Iterator[Step]:
    """The run from `init` one iteration at a time. A call from labels computes their centres,
    assigns, and computes the centres again, so its first call already ends at iteration 2;
    each later call, from the labels the previous one returned, adds one."""
    _threads(threads)
    data = _samples(features)
    labels = nearest_centres(features, init)
    for iteration in range(2, max_iter + 1):
        raw = _step(data, labels, len(init))
        yield Step(iteration, raw.centres, raw.error)
        if raw.labels is None:
            return
        labels = raw.labels
