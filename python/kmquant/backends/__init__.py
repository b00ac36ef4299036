"""The fitting code of every implementation of kmquant.implementations, one module each.

Every backend module offers the same functions, which the study calls through
`kmquant.implementations.backend`:

- `fit_shared(features, init, max_iter, threads, **options) -> RawFit`: from the shared start
  of matched and tied mode (initial centres in [0, 1]);
- `fit_native(features, k, seed, max_iter, threads, **options) -> RawFit`: the library's own
  seeded default;
- `steps(features, init, max_iter, threads, **options) -> Iterator[Step]`: the same run as
  `fit_shared`, one iteration at a time (`stepped` gives it for every library that can be
  restarted from its own centres).

`features` is the fit sample as float64 in [0, 1]; `options` are the registry entry's. A fit
never raises: errors and warnings come back in its RawFit. A backend module imports its library
when it is imported itself, so that the study loads it before it limits the library's threads.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

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


#: What a library's fit gives: centres, labels, iterations (None: not reported), converged.
Fitted = tuple[np.ndarray, np.ndarray, int | None, bool]


def guarded(fit: Callable[[], Fitted]) -> RawFit:
    """Run `fit` (centres, labels, iterations, converged), keeping its warnings, an error and
    its seconds with the result: one failing fit must not stop the study."""
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


def stepped(
    fit_shared: Callable[..., RawFit],
    features: np.ndarray,
    init: np.ndarray,
    max_iter: int,
    threads: int | None,
    **options: Any,
) -> Iterator[Step]:
    """A run one iteration at a time: `fit_shared` with max_iter = 1 from the centres the
    previous call returned. For a library whose iteration depends only on its centres, this
    is the single run cut after every iteration."""
    centres = init
    for iteration in range(1, max_iter + 1):
        raw = fit_shared(features, centres, 1, threads, **options)
        yield Step(iteration, raw.centres, raw.error)
        if raw.centres is None:
            return
        centres = raw.centres
