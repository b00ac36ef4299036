"""The Python side of every fit: scikit-learn's KMeans (docs/design.md, "Modes")."""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans

from kmquant.fitting import RawFit

#: What scikit-learn prints, verbose, when a run stops because its labels stopped changing
#: (or, with tol > 0, its centres moved less than tol), and never when it hits max_iter.
CONVERGED = "Converged at iteration"


def _run(model: KMeans, features: np.ndarray) -> RawFit:
    """Fit, keeping warnings and errors with the result. The run is verbose only to hear
    scikit-learn's own convergence signal, which it exposes nowhere else: a run whose last
    allowed iteration found no label change has converged, although n_iter == max_iter."""
    model.set_params(verbose=1)
    start = time.perf_counter()
    log = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(log):
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
        converged=CONVERGED in log.getvalue(),
        warnings=[str(w.message) for w in caught],
        seconds=time.perf_counter() - start,
    )


def fit_lloyd(features: np.ndarray, init: np.ndarray, max_iter: int) -> RawFit:
    """Lloyd from the given centres, to strict convergence (tol = 0) or max_iter."""
    model = KMeans(
        n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=0
    )
    return _run(model, features)


def fit_native(features: np.ndarray, k: int, seed: int, max_iter: int) -> RawFit:
    """scikit-learn's defaults: k-means++ and Lloyd, one init, tol 1e-4."""
    return _run(KMeans(n_clusters=k, random_state=seed, max_iter=max_iter), features)
