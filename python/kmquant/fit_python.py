"""The Python side of every fit: scikit-learn's KMeans (design section 3)."""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.cluster import KMeans

from kmquant.fitting import RawFit


def _run(model: KMeans, features: np.ndarray, max_iter: int) -> RawFit:
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(features)
        except Exception as error:  # one failing fit must not stop the study
            return RawFit(
                None,
                None,
                warnings=[str(w.message) for w in caught],
                error=f"{type(error).__name__}: {error}",
                seconds=time.perf_counter() - start,
            )
    n_iter = int(model.n_iter_)
    return RawFit(
        centres=np.asarray(model.cluster_centers_, dtype=np.float64),
        labels=np.asarray(model.labels_, dtype=np.int64),
        n_iter=n_iter,
        converged=n_iter < max_iter,
        warnings=[str(w.message) for w in caught],
        seconds=time.perf_counter() - start,
    )


def fit_lloyd(features: np.ndarray, init: np.ndarray, max_iter: int) -> RawFit:
    """Lloyd from the given centres, to strict convergence (tol = 0) or max_iter."""
    model = KMeans(
        n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=0
    )
    return _run(model, features, max_iter)


def fit_native(features: np.ndarray, k: int, seed: int, max_iter: int) -> RawFit:
    """scikit-learn's defaults: k-means++ and Lloyd, one init, tol 1e-4."""
    return _run(KMeans(n_clusters=k, random_state=seed, max_iter=max_iter), features, max_iter)
