"""The R side of every fit: `stats::kmeans` from r/kmquant.R, run in R through rpy2."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from kmquant.fitting import RawFit


@cache
def r_functions() -> Any:
    """The functions of r/kmquant.R, sourced once per process into an R environment of their
    own (not R's global one). The file ships inside the package (`kmquant/kmquant.R`, a link
    to r/kmquant.R in a checkout), so an installed kmquant fits in R too."""
    import rpy2.robjects as ro

    functions = ro.r["new.env"]()
    with resources.as_file(resources.files("kmquant") / "kmquant.R") as source:
        ro.r["sys.source"](str(source), envir=functions)
    return functions


def _call(function: str, *args: Any, iter_max: int) -> RawFit:
    functions = r_functions()
    import rpy2.robjects as ro
    from rpy2.robjects import numpy2ri

    # Only the arguments go through numpy2ri: how it converts an R list back changed in
    # rpy2 3.6, so the result stays an R list and each field becomes an array here.
    converter = ro.default_converter + numpy2ri.converter
    result = functions[function](*(converter.py2rpy(arg) for arg in args))
    # Copies: np.asarray would be a view into R's memory, which R frees and reuses.
    fields = {name: np.array(result.rx2(name), copy=True) for name in result.names}
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
