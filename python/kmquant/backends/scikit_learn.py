"""scikit-learn's KMeans, Lloyd or Elkan (the registry's `algorithm` option)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import numpy as np
from sklearn.cluster import KMeans

from kmquant.backends import Fitted, RawFit, Step, guarded, stepped

#: What scikit-learn prints, verbose, when a run stops because its labels stopped changing
#: (or, with tol > 0, its centres moved less than tol), and never when it hits max_iter.
CONVERGED = "Converged at iteration"


def _run(model: KMeans, features: np.ndarray) -> RawFit:
    """Fit verbose, only to hear scikit-learn's own convergence signal, which it exposes
    nowhere else: a run whose last allowed iteration found no label change has converged,
    although n_iter == max_iter."""

    def fit() -> Fitted:
        model.set_params(verbose=1)
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            model.fit(features)
        converged = CONVERGED in log.getvalue()
        return Fitted(model.cluster_centers_, model.labels_, int(model.n_iter_), converged)

    return guarded(fit)


def fit_shared(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None, algorithm: str
) -> RawFit:
    """From the given centres, to strict convergence (tol = 0) or max_iter."""
    model = KMeans(
        n_clusters=len(init), init=init, n_init=1, algorithm=algorithm, max_iter=max_iter, tol=0
    )
    return _run(model, features)


def fit_native(
    features: np.ndarray, k: int, seed: int, max_iter: int, threads: int | None, algorithm: str
) -> RawFit:
    """scikit-learn's defaults: k-means++, one init, tol 1e-4."""
    return _run(
        KMeans(n_clusters=k, algorithm=algorithm, random_state=seed, max_iter=max_iter), features
    )


def steps(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None, algorithm: str
) -> Iterator[Step]:
    return stepped(fit_shared, features, init, max_iter, threads, algorithm=algorithm)
