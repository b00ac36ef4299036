"""The fitting code of every implementation of kmquant.implementations, one module each.

Every backend module is a `Backend`: it offers the same three functions, which the study calls
through `kmquant.implementations.call`, and mypy checks each module against that protocol (the
modules named under TYPE_CHECKING at the end of this file; tests/test_implementations.py
checks every module the registry names at run time). A fit never raises: errors and warnings
come back in its RawFit. A backend module imports its library when it is imported itself, so
that the study loads it before it limits the library's threads.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    NamedTuple,
    ParamSpec,
    Protocol,
    runtime_checkable,
)

import numpy as np


@dataclass
class RawFit:
    """One implementation's answer on the fit sample; `centres` is None when the fit failed."""

    centres: np.ndarray | None
    labels: np.ndarray | None  # 0-based, one per fit-sample row
    n_iter: int | None = 0  # None: the implementation does not say
    converged: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Step:
    """The centres after one iteration of a stepped run (iterations count from 1)."""

    iteration: int
    centres: np.ndarray | None
    error: str | None = None


class Fitted(NamedTuple):
    """What a library's fit gives, before `guarded` makes it a RawFit."""

    centres: np.ndarray
    labels: np.ndarray
    n_iter: int | None  # None: the library does not say
    converged: bool


@runtime_checkable
class Backend(Protocol):
    """What every backend module offers (a module is a Backend when its functions have these
    signatures: `self` stands for the module and is not a parameter of its functions).

    `features` is the fit sample as float64 coordinates of its colour space (kmquant.spaces;
    in [0, 1] for sRGB code values). After the parameters below, each
    function takes the registry entry's `options` as keyword arguments, which differ by
    backend (scikit_learn: `algorithm`; r_kmeans: `package`; the others: none). The trailing
    `*args, **options` stand for them: mypy checks the types of the parameters before them and
    the return type, not their names; tests/test_implementations.py checks the names and that
    what follows them is exactly the entry's options.

    `threads` is the run's thread count (None: no limit). Only opencv (cv2.setNumThreads,
    OpenCV's own pool) and faiss_kmeans (faiss.omp_set_num_threads) set it themselves;
    scikit_learn, scipy_kmeans2 and r_kmeans take it and ignore it: their libraries have no
    thread count of their own to set, and the native pools they may use (scikit-learn's
    OpenMP, BLAS) are held by `kmquant.implementations.limited_threads`.
    """

    def fit_shared(
        self,
        features: np.ndarray,
        init: np.ndarray,
        max_iter: int,
        threads: int | None,
        *args: Any,
        **options: Any,
    ) -> RawFit:
        """From the shared start of matched and tied mode: `init`, initial centres in the
        coordinates of `features`."""
        ...

    def fit_native(
        self,
        features: np.ndarray,
        k: int,
        seed: int,
        max_iter: int,
        threads: int | None,
        *args: Any,
        **options: Any,
    ) -> RawFit:
        """The library's own seeded default, for `k` clusters."""
        ...

    def steps(
        self,
        features: np.ndarray,
        init: np.ndarray,
        max_iter: int,
        threads: int | None,
        *args: Any,
        **options: Any,
    ) -> Iterator[Step]:
        """The same run as `fit_shared`, one iteration at a time (`stepped` gives it for every
        library that can be restarted from its own centres)."""
        ...


def guarded(fit: Callable[[], Fitted]) -> RawFit:
    """Run `fit`, keeping its warnings, an error and its seconds with the result: one failing
    fit must not stop the study."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            centres, labels, n_iter, converged = fit()
        except Exception as error:
            return RawFit(
                None,
                None,
                warnings=[str(w.message) for w in caught],
                error=f"{type(error).__name__}: {error}",
                seconds=time.perf_counter() - start,
            )
    return RawFit(
        centres=np.asarray(centres, dtype=np.float64),
        labels=np.asarray(labels, dtype=np.int64).ravel(),
        n_iter=n_iter,
        converged=converged,
        warnings=[str(w.message) for w in caught],
        seconds=time.perf_counter() - start,
    )


#: The options a `stepped` fit is called with.
Options = ParamSpec("Options")


def stepped(
    fit_shared: Callable[Concatenate[np.ndarray, np.ndarray, int, int | None, Options], RawFit],
    features: np.ndarray,
    init: np.ndarray,
    max_iter: int,
    threads: int | None,
    *args: Options.args,
    **options: Options.kwargs,
) -> Iterator[Step]:
    """A run one iteration at a time: `fit_shared` with max_iter = 1 from the centres the
    previous call returned. For a library whose iteration depends only on its centres, this
    is the single run cut after every iteration."""
    centres = init
    for iteration in range(1, max_iter + 1):
        raw = fit_shared(features, centres, 1, threads, *args, **options)
        yield Step(iteration, raw.centres, raw.error)
        if raw.centres is None:
            return
        centres = raw.centres


if TYPE_CHECKING:
    # mypy checks here that each backend module is a Backend.
    from kmquant.backends import faiss_kmeans, opencv, r_kmeans, scikit_learn, scipy_kmeans2

    BACKENDS: list[Backend] = [faiss_kmeans, opencv, r_kmeans, scikit_learn, scipy_kmeans2]
