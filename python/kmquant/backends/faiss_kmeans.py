"""faiss's `faiss.Kmeans`: Lloyd in single precision on every point (no subsampling)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faiss
import numpy as np

from kmquant.backends import Fitted, RawFit, Step, guarded, stepped


def _train(
    features: np.ndarray, k: int, max_iter: int, threads: int | None, **options: Any
) -> RawFit:
    if threads:
        faiss.omp_set_num_threads(threads)
    data = np.ascontiguousarray(features, dtype=np.float32)
    init = options.pop("init_centroids", None)
    # faiss trains on a sample of 256 points per centroid unless told to take more.
    kmeans = faiss.Kmeans(
        data.shape[1], k, niter=max_iter, max_points_per_centroid=len(data) + 1, **options
    )

    def fit() -> Fitted:
        kmeans.train(data, init_centroids=init)
        _, labels = kmeans.index.search(data, 1)
        centroids, objective = kmeans.centroids, kmeans.obj
        if centroids is None or objective is None:  # train sets both
            raise RuntimeError("faiss's Kmeans.train left no centroids")
        # Its own rule: stop when an iteration's objective equals the previous one's.
        converged = len(objective) >= 2 and objective[-2] != 0 and objective[-1] == objective[-2]
        return Fitted(centroids, labels, len(objective), bool(converged))

    return guarded(fit)


def fit_shared(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> RawFit:
    """train(x, init_centroids=C0) in float32, at most niter = max_iter iterations."""
    start = np.ascontiguousarray(init, dtype=np.float32)
    return _train(features, len(init), max_iter, threads, init_centroids=start)


def fit_native(
    features: np.ndarray, k: int, seed: int, max_iter: int, threads: int | None
) -> RawFit:
    """faiss's own start: K random points of the data, drawn with `seed`."""
    return _train(features, k, max_iter, threads, seed=seed)


def steps(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None
) -> Iterator[Step]:
    return stepped(fit_shared, features, init, max_iter, threads)
