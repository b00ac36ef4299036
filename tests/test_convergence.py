"""Stepped runs, one Lloyd iteration at a time: every implementation's steps go on past an
emptied cluster as its single run does, and the headline pair's trajectories hold the single
run's centres after every iteration and end where the single full run ends. (That every step
is the single run stopped after as many iterations is tested for every implementation in
test_implementations.py.)"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from conftest import INIT, X, small_photo
from kmquant import initial, pixels
from kmquant.convergence import step_through
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, THREADS, call, limited_threads


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


@pytest.mark.parametrize("impl", HEADLINE)
def test_a_trace_holds_its_single_run_s_centres_after_every_iteration(
    photo: pixels.Pixels, impl: str
) -> None:
    """Not only where it ends: entry n of the trace is, bit for bit, where the single run from
    the same start stops when given max_iter = n."""
    init = initial.initial_centres(photo, 6, seed=0, off_lattice=True)
    trace = step_through(impl, photo, init, 300)
    assert trace.converged
    with limited_threads([impl], THREADS):
        for n in range(1, len(trace.centres)):
            single = call(impl, "fit_shared", photo.fit_features(), init, n, THREADS)
            np.testing.assert_array_equal(trace.centres[n], single.centres, err_msg=f"{n}")


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_a_stepped_run_goes_on_after_an_emptied_cluster_as_its_single_run_does(
    impl: str,
) -> None:
    """A centre far from every point loses all of them in the first iteration; the single
    run then goes on as its library handles an emptied cluster, and so must the steps: bit for
    bit the single run stopped after as many iterations, to two steps past where the centres
    stop moving. R's Lloyd (stats::kmeans and amap::Kmeans) keeps the emptied centre NaN,
    which it does not take back as a start: r/kmquant.R hands it a placeholder that no point
    can be nearest to, so that each step goes on as the single run does."""
    far = np.vstack([INIT[:3], [[5.0, 5.0, 5.0]]])
    centres, still = None, 0
    with limited_threads([impl], THREADS):
        for step in call(impl, "steps", X, far, 300, THREADS):
            single = call(impl, "fit_shared", X, far, step.iteration, THREADS)
            assert single.error is None
            assert step.error is None, f"step {step.iteration}: {step.error}"
            np.testing.assert_array_equal(  # the bits, NaN's too
                step.centres.view(np.uint64), single.centres.view(np.uint64), f"{step.iteration}"
            )
            if centres is not None and np.array_equal(step.centres, centres, equal_nan=True):
                still += 1
                if still == 2:
                    break
            centres = step.centres
    assert still == 2
    emptied = np.isnan(centres).all(axis=1)
    assert list(emptied) == [False] * 3 + [IMPLEMENTATIONS[impl].empty_cluster == "nan"]


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


def test_a_trace_is_numbered_by_the_iterations_its_steps_end(
    photo: pixels.Pixels, tmp_path: Path
) -> None:
    """An implementation that takes the shared start as labels (OpenCV) has no centres after
    iteration 1: its first step ends iteration 2. Its trace goes from the start to iteration 2,
    its rows in the tables are numbered so (with no shift over the iteration it skips), it is
    set against the other run of its pair at the same iteration, and its stepped iterations
    count the one it skips."""
    from kmquant import convergence, fitting

    init = initial.initial_centres(photo, 4, 0, off_lattice=True)
    for impl in (name for name, entry in IMPLEMENTATIONS.items() if entry.start == "labels"):
        fulls = {
            name: fitting.fit_image(
                photo, fitting.Task("photo", name, "matched", 4, 0), 300, THREADS, init
            )
            for name in ("python", impl)
        }
        ident, trajectories, checks = convergence.trace_pair(photo, init, fulls, 300)
        trace, python = trajectories[impl], trajectories["python"]
        last = len(trace.centres)  # the start, then iterations 2 .. last
        assert trace.converged and last > 3
        assert checks[impl]["stepped_iterations"] == last and checks[impl]["ends_equal"]
        assert list(trace.iterations) == [0, *range(2, last + 1)]
        assert list(python.iterations) == list(range(len(python.centres)))
        assert checks["python"]["stepped_iterations"] == len(python.centres) - 1

        convergence.save(tmp_path / f"{impl}.npz", ident, trajectories, checks)
        rows, centres, _ = convergence.table_rows(tmp_path / f"{impl}.npz")
        own = [row for row in rows if row["impl"] == impl]
        assert [row["iteration"] for row in own] == list(trace.iterations)
        assert {row["iteration"] for row in centres if row["impl"] == impl} == set(trace.iterations)
        shifts = [row["max_centre_shift_8bit"] for row in own]
        assert shifts[:2] == [None, None]  # none from the start to iteration 2
        assert shifts[2] == 255.0 * float(np.abs(trace.centres[2] - trace.centres[1]).max())
        for row, after in zip(own, trace.centres, strict=True):
            n = row["iteration"]
            other = python.centres[n] if n < len(python.centres) else None
            expected = None if other is None else 255.0 * float(np.abs(after - other).max())
            assert row["max_difference_to_other_8bit"] == expected, n
