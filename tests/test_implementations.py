"""One conformance suite for every implementation of the registry, each really called: a new
entry passes or fails it by itself, with no test of its own to write."""

from __future__ import annotations

import ast
import inspect
import typing
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from conftest import INIT, SLOW, SLOW_INIT, X, reference_lloyd, small_photo
from kmquant import fitting, pixels
from kmquant.implementations import (
    EMPTY_CLUSTER_KINDS,
    HEADLINE,
    IMPLEMENTATIONS,
    ITERATION_COUNTS,
    call,
    pairs,
)
from kmquant.labelling import nearest_centres

NAMES = list(IMPLEMENTATIONS)


def expected_iterations(name: str, textbook: int, max_iter: int) -> int | None:
    """The iteration count the registry says an implementation reports for a run that the
    textbook loop ends after `textbook` iterations."""
    return {
        "labels": min(textbook, max_iter),
        "objective": min(textbook + 1, max_iter),
        "fixed": max_iter,
        None: None,
    }[IMPLEMENTATIONS[name].counts]


def tolerance(name: str) -> float:
    """How close its centres come to double-precision Lloyd's: float32 rounds at 1e-7."""
    return 1e-12 if IMPLEMENTATIONS[name].exact else 1e-6


def test_the_registry_describes_every_entry_completely() -> None:
    assert tuple(NAMES[:2]) == HEADLINE
    for name, entry in IMPLEMENTATIONS.items():
        assert entry.name == name
        assert entry.precision in ("float64", "float32")
        assert entry.start in ("centres", "labels")
        assert entry.empty_cluster in EMPTY_CLUSTER_KINDS
        assert entry.counts in (*ITERATION_COUNTS, None)
        assert entry.version_of.split(":")[0] in ("pip", "R")
        assert entry.colour.startswith("#") and len(entry.colour) == 7
    # Every implementation is told apart in figures by its colour and its marker.
    assert len({entry.colour for entry in IMPLEMENTATIONS.values()}) == len(NAMES)
    assert len({entry.marker for entry in IMPLEMENTATIONS.values()}) == len(NAMES)
    assert pairs(["r", "python", "faiss"]) == [("python", "r"), ("python", "faiss"), ("r", "faiss")]


@pytest.mark.parametrize("name", NAMES)
def test_its_backend_module_is_a_backend(name: str) -> None:
    """The registry entry's backend module offers every function of kmquant.backends.Backend:
    the protocol's parameters, by name, in order and with its annotations, then exactly the
    entry's options, and the protocol's return type. mypy checks the same of the modules that
    kmquant/backends/__init__.py names, which must include this one."""
    from kmquant.backends import Backend
    from kmquant.implementations import backend

    entry = IMPLEMENTATIONS[name]
    source = Path(inspect.getfile(Backend)).read_text(encoding="utf-8")
    checked = {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "kmquant.backends"
        for alias in node.names
    }
    assert entry.backend in checked, "name it where mypy checks the backend modules"
    module = backend(name)
    functions = [
        f
        for f, member in vars(Backend).items()
        if inspect.isfunction(member) and not f.startswith("_")
    ]
    assert functions == ["fit_shared", "fit_native", "steps"]
    by_keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for function in functions:
        wanted = getattr(Backend, function)
        shared = [
            p.name
            for p in list(inspect.signature(wanted).parameters.values())[1:]
            if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        own = getattr(module, function)
        parameters = list(inspect.signature(own).parameters.values())
        assert [p.name for p in parameters[: len(shared)]] == shared, function
        assert all(
            p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters[: len(shared)]
        )
        options = parameters[len(shared) :]
        assert {p.name for p in options} == set(entry.options), function
        assert all(p.kind in by_keyword for p in options), function
        hints, wanted_hints = typing.get_type_hints(own), typing.get_type_hints(wanted)
        for parameter in [*shared, "return"]:
            assert hints[parameter] == wanted_hints[parameter], (function, parameter)


@pytest.mark.parametrize("name", NAMES)
def test_takes_the_shared_start_and_ends_where_textbook_lloyd_ends(name: str) -> None:
    labels, textbook = reference_lloyd(X, INIT, 300)
    fit = call(name, "fit_shared", X, INIT, 300, 1)
    assert fit.error is None and fit.warnings == []
    np.testing.assert_array_equal(fit.labels, labels)
    expected = np.array([X[labels == j].mean(axis=0) for j in range(len(INIT))])
    np.testing.assert_allclose(fit.centres, expected, atol=tolerance(name), rtol=0)
    assert fit.converged
    assert fit.n_iter == expected_iterations(name, textbook, 300)


@pytest.mark.parametrize("name", NAMES)
def test_honours_max_iter_and_says_it_did_not_converge(name: str) -> None:
    _, textbook = reference_lloyd(SLOW, SLOW_INIT, 1000)
    assert textbook == 113
    short = call(name, "fit_shared", SLOW, SLOW_INIT, 40, 1)
    longer = call(name, "fit_shared", SLOW, SLOW_INIT, 80, 1)
    assert not short.converged and not longer.converged
    assert short.n_iter == expected_iterations(name, textbook, 40)
    assert not np.array_equal(short.centres, longer.centres)


@pytest.mark.parametrize("name", NAMES)
def test_an_iteration_cap_is_what_the_registry_says(name: str) -> None:
    """OpenCV runs at most 100 iterations whatever it is asked; every other implementation
    runs until it converges (here after 113) within max_iter."""
    cap = IMPLEMENTATIONS[name].iteration_cap
    fit = call(name, "fit_shared", SLOW, SLOW_INIT, 300, 1)
    if cap is None:
        labels, _ = reference_lloyd(SLOW, SLOW_INIT, 300)
        assert fit.converged
        np.testing.assert_array_equal(fit.labels, labels)
    else:
        at_cap = call(name, "fit_shared", SLOW, SLOW_INIT, cap, 1)
        below = call(name, "fit_shared", SLOW, SLOW_INIT, cap - 1, 1)
        assert not fit.converged
        np.testing.assert_array_equal(fit.centres, at_cap.centres)
        assert not np.array_equal(fit.centres, below.centres)


@pytest.mark.parametrize("name", NAMES)
def test_handles_an_empty_cluster_as_the_registry_says(name: str) -> None:
    # A centre far from every point loses all its points in the first assignment.
    far = np.vstack([INIT[:3], [[5.0, 5.0, 5.0]]])
    fit = call(name, "fit_shared", X, far, 300, 1)
    assert fit.error is None
    kind = IMPLEMENTATIONS[name].empty_cluster
    if kind == "nan":
        assert np.isnan(fit.centres[3]).all()
    elif kind == "keep":
        np.testing.assert_array_equal(fit.centres[3], [5.0, 5.0, 5.0])
        assert not (fit.labels == 3).any()
        assert fit.warnings  # and it says so
    else:
        assert ((fit.centres[3] >= 0) & (fit.centres[3] <= 1)).all()
        assert (fit.labels == 3).any()


@pytest.mark.parametrize("name", NAMES)
def test_every_pixel_ends_labelled_with_its_nearest_centre(name: str) -> None:
    """Whatever labels a library returns, the study's fit gives every pixel its nearest final
    centre (on all pixels here, and with a fit sample of a third of them)."""
    rgb = np.asarray(small_photo(30, 20))
    for rows in (np.arange(600), pixels.fit_sample(600, 200, 0)):
        px = pixels.Pixels(rgb, 255, rows)
        init = px.fit_features()[[0, 70, 140, 199]].copy()
        result = fitting.fit_image(px, fitting.Task("p", name, "matched", 4, 0), 300, 1, init)
        x = px.features()
        distances = ((x[:, None, :] - result.centres[None]) ** 2).sum(axis=2)
        np.testing.assert_array_equal(result.labels, np.argmin(distances, axis=1))


@pytest.mark.parametrize("name", NAMES)
def test_is_deterministic(name: str) -> None:
    first, second = (call(name, "fit_shared", X, INIT, 300, 1) for _ in range(2))
    assert np.array_equal(first.centres, second.centres)
    assert np.array_equal(first.labels, second.labels)
    native = [call(name, "fit_native", X, 4, seed, 300, 1) for seed in (3, 3, 4)]
    assert native[0].error is None
    assert np.array_equal(native[0].centres, native[1].centres)
    assert not np.array_equal(native[0].centres, native[2].centres)  # the seed is used


@pytest.mark.parametrize("name", NAMES)
def test_its_steps_are_its_single_run_cut_after_every_iteration(name: str) -> None:
    """Where two runs part and the convergence traces rest on every step of a stepped run, not
    only its last. After step n, bit for bit, the run is where its single run from the same
    start stops when given max_iter = n, through convergence (after 113 iterations here) and
    17 steps past it: a step is the library's own fit for one iteration from its own last
    centres (or, for OpenCV, labels), whatever the precision. OpenCV, started from labels,
    gives its first centres after iteration 2, and its single run stops at its cap of 100
    whatever it is asked, so its steps past 100 have no single run to match. Every step is
    also where textbook Lloyd is after n iterations, with its labels (within float32's
    rounding for OpenCV and faiss)."""
    entry = IMPLEMENTATIONS[name]
    first = 2 if entry.start == "labels" else 1
    steps = list(islice(call(name, "steps", SLOW, SLOW_INIT, 300, 1), 131 - first))
    assert [step.iteration for step in steps] == list(range(first, 131))
    textbook = {0: SLOW_INIT}
    for n in range(1, 131):
        labels = nearest_centres(SLOW, textbook[n - 1])
        textbook[n] = np.array([SLOW[labels == j].mean(axis=0) for j in range(len(SLOW_INIT))])
    for step in steps:
        n = step.iteration
        assert step.error is None, n
        if entry.iteration_cap is None or n <= entry.iteration_cap:
            single = call(name, "fit_shared", SLOW, SLOW_INIT, n, 1)
            np.testing.assert_array_equal(  # the bits
                step.centres.view(np.uint64), single.centres.view(np.uint64), f"after {n}"
            )
        np.testing.assert_allclose(step.centres, textbook[n], atol=tolerance(name), rtol=0)
        np.testing.assert_array_equal(
            nearest_centres(SLOW, step.centres), nearest_centres(SLOW, textbook[n])
        )


@pytest.mark.parametrize("name", NAMES)
def test_fits_an_image_of_one_pixel(name: str) -> None:
    """One pixel is one colour, and a fit of it never stops the study: from the shared start
    every library finds that colour; a library's own start may fail as a recorded row (SciPy's
    random start draws from the covariance of the points, undefined for a single one)."""
    px = pixels.Pixels(np.array([[[10, 200, 30]]], dtype=np.uint8), 255, np.arange(1))
    colour = np.array([[10, 200, 30]]) / 255
    for mode in ("matched", "native"):
        init = px.fit_features() if mode == "matched" else None
        result = fitting.fit_image(px, fitting.Task("p", name, mode, 8, 0), 300, 1, init)
        assert result.meta["k_effective"] == 1
        if mode == "native" and name == "scipy":
            assert result.meta["status"] == "error" and "NaN" in result.meta["message"]
            continue
        # scikit-learn's Elkan warns that it runs Lloyd for a single cluster.
        assert result.meta["status"] == ("warning" if name == "elkan" else "ok")
        np.testing.assert_allclose(result.centres, colour, atol=tolerance(name))
        assert result.labels.tolist() == [0]
