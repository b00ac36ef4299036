"""Stepped Lloyd trajectories of the headline pair end where the single full run ends."""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from conftest import small_photo
from kmquant import initial, pixels
from kmquant.convergence import step_through
from kmquant.implementations import HEADLINE, THREADS, call


@pytest.fixture(scope="module")
def photo() -> pixels.Pixels:
    rgb = np.asarray(small_photo(64, 40), dtype=np.uint8)
    return pixels.Pixels(rgb, 255, np.arange(64 * 40))


@pytest.mark.parametrize("impl", HEADLINE)
def test_stepped_run_ends_where_the_full_run_ends(photo: pixels.Pixels, impl: str) -> None:
    init = initial.initial_centres(photo, 6, seed=0, off_lattice=True)
    full = call(impl, "fit_shared", photo.fit_features(), init, 300, THREADS)
    trace = step_through(impl, photo, init, 300)
    assert trace.converged and full.converged
    np.testing.assert_allclose(trace.centres[-1], full.centres, atol=1e-12, rtol=0)
    # one entry for the start and one per iteration that moved the centres
    assert len(trace.centres) == full.n_iter
    assert np.all(np.diff(trace.sse) <= 1e-9 * trace.sse[0])  # Lloyd never increases the SSE


def test_a_stepped_run_is_its_fit_s_run_whatever_the_machine_s_cores(
    photo: pixels.Pixels,
) -> None:
    """scikit-learn's centres depend on how many threads sum them (about 1e-13 between one and
    two): the trace is stepped on the fit's threads, not on as many as the caller allows."""
    init = initial.initial_centres(photo, 6, seed=0, off_lattice=True)
    with threadpool_limits(limits=THREADS + 1):
        trace = step_through("python", photo, init, 300)
    moved = len(trace.centres) - 1
    with threadpool_limits(limits=THREADS):
        steps = call("python", "steps", photo.fit_features(), init, 300, THREADS)
        alone = [step.centres for step in islice(steps, moved)]
    assert np.array_equal(trace.centres[1:], np.stack(alone))


def test_both_languages_agree_at_every_iteration(photo: pixels.Pixels) -> None:
    init = initial.initial_centres(photo, 6, seed=0, off_lattice=True)
    python, r = (step_through(impl, photo, init, 300) for impl in HEADLINE)
    assert python.centres.shape == r.centres.shape
    assert np.abs(python.centres - r.centres).max() < 1e-12
    np.testing.assert_allclose(python.sse, r.sse, rtol=1e-12)


def test_an_r_error_ends_the_trajectory(photo: pixels.Pixels) -> None:
    init = initial.initial_centres(photo, 3, seed=0, off_lattice=True)
    init = np.vstack([init, init[:1]])  # duplicated centres: R stops at the first step
    trace = step_through("r", photo, init, 300)
    assert trace.error == "initial centers are not distinct"
    assert len(trace.centres) == 1 and not trace.converged


def test_the_sse_of_every_iteration_is_the_per_pixel_sum(photo: pixels.Pixels) -> None:
    init = initial.initial_centres(photo, 6, seed=0, off_lattice=True)
    trace = step_through("python", photo, init, 300)
    x = photo.features()
    for centres, sse in zip(trace.centres, trace.sse, strict=True):
        d2 = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2) * 255.0**2
        assert sse == pytest.approx(d2.min(axis=1).sum(), rel=1e-12)


def test_a_traced_pair_is_checked_against_each_language_s_full_run(photo: pixels.Pixels) -> None:
    from kmquant import convergence, fitting

    init = initial.initial_centres(photo, 4, 0, off_lattice=True)
    fulls = {
        impl: fitting.fit_image(
            photo, fitting.Task("photo", impl, "matched", 4, 0), 300, THREADS, init
        )
        for impl in HEADLINE
    }
    ident, trajectories, checks = convergence.trace_pair(photo, init, fulls, 300)
    assert ident == {"image": "photo", "k_requested": 4, "k_effective": 4, "seed": 0}
    assert set(trajectories) == set(checks) == set(HEADLINE)
    for impl, check in checks.items():
        assert check["ends_equal"], impl
        # every iteration that moved the centres; the full run also counts the final pass
        assert check["stepped_iterations"] == fulls[impl].meta["n_iter"] - 1
