"""R's K-means through rpy2: `stats::kmeans` or `amap::Kmeans` (the registry's `package`
option), from the functions of r/kmquant.R."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from kmquant.backends import RawFit, Step, stepped


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


def _first(fields: dict[str, np.ndarray], name: str) -> Any:
    return np.asarray(fields[name]).ravel()[0]


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
    seconds = float(_first(fields, "seconds"))
    if str(_first(fields, "status")) == "error":
        return RawFit(
            None, None, warnings=warnings, error=str(_first(fields, "message")), seconds=seconds
        )
    # R counts the pass that found no change, and iter.max + 1 when it did not converge.
    n_iter = min(int(_first(fields, "iter")), iter_max) if "iter" in fields else None
    return RawFit(
        centres=np.asarray(fields["centers"], dtype=np.float64).reshape(-1, 3),
        labels=np.asarray(fields["cluster"], dtype=np.int64).ravel() - 1,
        n_iter=n_iter,
        converged=bool(_first(fields, "converged")),
        warnings=warnings,
        seconds=seconds,
    )


def fit_shared(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None, package: str
) -> RawFit:
    """Lloyd from the given centres: kmeans(x, centers = C0, iter.max = M, algorithm =
    "Lloyd"), or amap::Kmeans(x, centers = C0, iter.max = M). A NaN centre (a cluster R
    emptied) is taken as R's own run takes it (kmquant_restartable in r/kmquant.R)."""
    return _call(f"kmquant_{package}_shared", features, init, max_iter, iter_max=max_iter)


def fit_native(
    features: np.ndarray, k: int, seed: int, max_iter: int, threads: int | None, package: str
) -> RawFit:
    """set.seed(seed), then the package's own start from K random rows."""
    return _call(f"kmquant_{package}_native", features, k, seed, max_iter, iter_max=max_iter)


def steps(
    features: np.ndarray, init: np.ndarray, max_iter: int, threads: int | None, package: str
) -> Iterator[Step]:
    """The run one iteration at a time, bit for bit the single run cut after every iteration,
    past an emptied cluster too: each step starts from the previous one's centres, NaN ones
    included."""
    return stepped(fit_shared, features, init, max_iter, threads, package=package)
