"""The R side of every fit: `stats::kmeans` from r/kmquant.R, run in R through rpy2."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.fitting import RawFit

R_SOURCE = Path(__file__).resolve().parents[2] / "r" / "kmquant.R"


@cache
def _r() -> Any:
    """The R session with r/kmquant.R sourced (once per process)."""
    import rpy2.robjects as ro

    ro.r["source"](str(R_SOURCE))
    return ro


def _call(function: str, *args: Any, iter_max: int) -> RawFit:
    ro = _r()
    from rpy2.robjects import numpy2ri

    with (ro.default_converter + numpy2ri.converter).context():
        result = ro.globalenv[function](*args)
        fields = dict(result.items())
    warnings = [str(w) for w in np.atleast_1d(fields["warnings"])]
    seconds = float(np.asarray(fields["seconds"]).ravel()[0])
    if str(np.asarray(fields["status"]).ravel()[0]) == "error":
        message = str(np.asarray(fields["message"]).ravel()[0])
        return RawFit(None, None, warnings=warnings, error=message, seconds=seconds)
    iterations = int(np.asarray(fields["iter"]).ravel()[0])
    return RawFit(
        centres=np.asarray(fields["centers"], dtype=np.float64).reshape(-1, 3),
        labels=np.asarray(fields["cluster"], dtype=np.int64).ravel() - 1,
        n_iter=min(iterations, iter_max),
        converged=bool(np.asarray(fields["converged"]).ravel()[0]),
        warnings=warnings,
        seconds=seconds,
    )


def fit_lloyd(features: np.ndarray, init: np.ndarray, max_iter: int) -> RawFit:
    """kmeans(X, centers = C0, iter.max = M, algorithm = "Lloyd")."""
    return _call("kmquant_fit_lloyd", features, init, max_iter, iter_max=max_iter)


def fit_native(features: np.ndarray, k: int, seed: int, max_iter: int) -> RawFit:
    """set.seed(seed); kmeans(X, centers = K, iter.max = M, nstart = 1) (Hartigan-Wong)."""
    return _call("kmquant_fit_native", features, k, seed, max_iter, iter_max=max_iter)
