"""Fits on small data: the headline pair, scikit-learn and R (really run, through rpy2 and
r/kmquant.R), and what the study makes of any implementation's fit. Every implementation's
conformance to the registry is in test_implementations.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import INIT, ROOT, SLOW, X, five_colour_image, reference_lloyd, small_photo
from kmquant import fitting, pixels
from kmquant.implementations import IMPLEMENTATIONS, call
from kmquant.modes import MODES
from kmquant.runs import Run, dump
from kmquant.scoring import score_image

RNG = np.random.default_rng(5)


def fit_lloyd(impl: str, x: np.ndarray, init: np.ndarray, max_iter: int) -> fitting.RawFit:
    return call(impl, "fit_shared", x, init, max_iter, 1)


def fit_native(impl: str, x: np.ndarray, k: int, seed: int, max_iter: int) -> fitting.RawFit:
    return call(impl, "fit_native", x, k, seed, max_iter, 1)


def test_r_matched_is_identical_to_python_matched() -> None:
    python, r = fit_lloyd("python", X, INIT, 300), fit_lloyd("r", X, INIT, 300)
    np.testing.assert_array_equal(r.labels, python.labels)
    np.testing.assert_allclose(r.centres, python.centres, atol=1e-12, rtol=0)
    assert (r.n_iter, r.converged) == (python.n_iter, python.converged)


@pytest.mark.parametrize(
    "impl", [name for name, entry in IMPLEMENTATIONS.items() if entry.counts == "labels"]
)
def test_converged_means_the_last_allowed_pass_changed_no_label(impl: str) -> None:
    """Converged is each library's own signal that its labels stopped changing: a run whose
    last allowed iteration is the one that finds no change has converged, one stopped an
    iteration earlier has not."""
    _, n_iter = reference_lloyd(X, INIT, 300)
    assert n_iter > 2
    at_limit = fit_lloyd(impl, X, INIT, n_iter)
    assert (at_limit.n_iter, at_limit.converged) == (n_iter, True)
    cut_short = fit_lloyd(impl, X, INIT, n_iter - 1)
    assert (cut_short.n_iter, cut_short.converged) == (n_iter - 1, False)


def test_r_native_is_what_bare_rscript_computes(tmp_path: Path) -> None:
    """The R fit is R's own kmeans: a separate Rscript, no rpy2, gives the same result."""
    # Doubles pass as raw bytes, column-major like an R matrix: bit-identical data.
    np.asfortranarray(X).T.tofile(tmp_path / "x.bin")
    script = (
        f'x <- matrix(readBin("{tmp_path / "x.bin"}", "double", n = {X.size}), ncol = 3); '
        "set.seed(9); fit <- kmeans(x, centers = 4, iter.max = 300); "
        f'writeBin(as.vector(fit$centers), "{tmp_path / "c.bin"}")'
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    expected = np.fromfile(tmp_path / "c.bin").reshape(3, 4).T
    fit = fit_native("r", X, 4, 9, 300)
    np.testing.assert_array_equal(fit.centres, expected)
    assert fit.converged and fit.error is None


def test_r_error_becomes_a_status() -> None:
    duplicated = np.vstack([INIT, INIT[:1]])
    fit = fit_lloyd("r", X, duplicated, 300)
    assert fit.centres is None
    assert fit.error == "initial centers are not distinct"


def test_r_warning_is_recorded_and_marks_no_convergence() -> None:
    fit = fit_lloyd("r", X, INIT, 1)
    assert fit.warnings == ["did not converge in 1 iteration"]
    assert not fit.converged
    assert fit.n_iter == 1
    status, message = fitting.status_of(fit)
    assert (status, message) == ("warning", "did not converge in 1 iteration")


@pytest.mark.parametrize("impl", ["r", "amap"])
def test_r_lloyd_records_an_emptied_cluster(impl: str) -> None:
    # A centre far from every point loses all its points in the first assignment.
    init = np.vstack([INIT[:3], [[5.0, 5.0, 5.0]]])
    fit = fit_lloyd(impl, X, init, 300)
    assert "empty cluster" in "; ".join(fit.warnings)
    assert np.isnan(fit.centres[3]).all()


def test_amap_warns_instead_of_counting_iterations() -> None:
    """amap::Kmeans returns no iteration count; stopped at iter.max it says so in a warning,
    which marks the fit as not converged."""
    fit = fit_lloyd("amap", X, INIT, 1)
    assert fit.n_iter is None
    assert fit.warnings == ["did not converge in 1 iterations"]
    assert not fit.converged


def test_an_iteration_cap_below_max_iter_is_a_recorded_warning() -> None:
    """OpenCV stops after 100 iterations whatever it is asked: a fit not converged by then
    says so in its record."""
    rgb = (SLOW * 65535).round().astype(np.uint16).reshape(20, 25, 3)
    px = pixels.Pixels(rgb, 65535, np.arange(500))
    task = fitting.Task("line", "opencv", "matched", 16, 0)
    result = fitting.fit_image(px, task, 300, 1, px.fit_features()[:16].copy())
    assert result.meta["status"] == "warning"
    assert result.meta["message"] == (
        "not converged within 100 iterations, the most that OpenCV's cv2.kmeans runs "
        "(max_iter 300 was asked)"
    )


def test_sampled_fit_labels_every_pixel_with_its_nearest_centre() -> None:
    rgb = RNG.integers(0, 256, (10, 20, 3), dtype=np.uint8)
    px = pixels.Pixels(rgb, 255, pixels.fit_sample(200, 50, 0))
    raw = fit_lloyd("python", px.fit_features(), px.fit_features()[:3], 300)
    result = fitting.complete(raw, px, {"image": "x"})
    x = px.features()
    brute = np.argmin(((x[:, None, :] - result.centres[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(result.labels, brute)
    assert result.meta["n_fit_pixels"] == 50
    assert result.meta["n_pixels"] == 200
    # mse and psnr follow from the output image's sse
    scored = score_image(px, result.centres, result.labels)
    assert scored["mse"] == pytest.approx(scored["sse"] / 600)
    assert scored["psnr_db"] == pytest.approx(10 * np.log10(255**2 / scored["mse"]))


def test_failed_fit_is_completed_as_an_error_record(tmp_path: Path) -> None:
    px = pixels.Pixels(five_colour_image(), 255, np.arange(600))
    raw = fitting.RawFit(None, None, warnings=["w"], error="e")
    result = fitting.complete(raw, px, {"image": "x"})
    fitting.save(result, tmp_path / "f.npz")
    back = fitting.load(tmp_path / "f.npz")
    assert not back.ok
    assert back.meta["message"] == "e; w"
    assert back.centres.shape == (0, 3)


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("mode", list(MODES))
def test_every_implementation_runs_k_above_distinct_colours_with_k_effective(
    impl: str, mode: str
) -> None:
    """Five colours, K = 8: every implementation runs with K = 5; from a shared start (five
    distinct colours) every one is lossless, and its own start never fails the fit."""
    from kmquant.initial import initial_centres

    px = pixels.Pixels(five_colour_image(), 255, np.arange(600))
    shared = MODES[mode].shared_start
    init = initial_centres(px, 8, 0, MODES[mode].off_lattice) if shared else None
    result = fitting.fit_image(px, fitting.Task("five", impl, mode, 8, 0), 300, 1, init)
    meta = result.meta
    assert (meta["k_requested"], meta["k_effective"]) == (8, 5)
    assert meta["status"] != "error"
    if shared:
        assert meta["status"] == "ok"
        assert score_image(px, result.centres, result.labels)["sse"] == 0.0


@pytest.mark.parametrize("impl", ["python", "r"])
@pytest.mark.parametrize("mode", list(MODES))
def test_k_above_distinct_colours_runs_with_k_effective(
    tmp_path: Path, impl: str, mode: str
) -> None:
    Image.fromarray(five_colour_image()).save(tmp_path / "five.png")
    cli = [sys.executable, "-m", "kmquant"]
    run = {"check": True, "capture_output": True, "cwd": ROOT}
    subprocess.run(
        [*cli, "pixels", tmp_path / "five.png", tmp_path / "p.npz", "--fit-max-pixels", "1000"],
        **run,
    )
    init = None
    if MODES[mode].shared_start:
        init = str(tmp_path / "i.csv")
        starts = dump([Run(8, mode, 0, init)])
        subprocess.run([*cli, "init", tmp_path / "p.npz", "--runs", starts], **run)
    runs = dump([Run(8, mode, 0, str(tmp_path / "f.npz"), init)])
    subprocess.run(
        [
            *cli,
            "fit",
            tmp_path / "p.npz",
            "--runs",
            runs,
            "--impl",
            impl,
            "--image",
            "five",
            "--max-iter",
            "300",
        ],
        **run,
    )
    meta = fitting.load_meta(tmp_path / "f.npz")
    assert (meta["k_requested"], meta["k_effective"], meta["status"]) == (8, 5, "ok")
    assert meta["fit_sse"] < 1e-9  # five colours, five centres: lossless


def test_scikit_learn_warnings_are_recorded() -> None:
    two_colours = np.repeat(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]), 10, axis=0)
    fit = fit_native("python", two_colours, 3, 0, 300)
    assert any("distinct clusters" in w for w in fit.warnings)
    assert fitting.status_of(fit)[0] == "warning"


def test_r_refuses_more_centres_than_distinct_points() -> None:
    fit = fit_native("r", np.repeat(X[:2], 5, axis=0), 3, 0, 300)
    assert fit.error == "more cluster centers than distinct data points."


def test_r_quick_transfer_limit_is_a_recorded_warning() -> None:
    """Hartigan-Wong on the shipped china.jpg, K = 8, seed 2 hits R's Quick-TRANSfer limit."""
    rgb = np.asarray(Image.open(ROOT / "data" / "china.jpg").convert("RGB"))
    features = rgb.reshape(-1, 3) / 255.0
    fit = fit_native("r", features, 8, 2, 300)
    assert any(w.startswith("Quick-TRANSfer stage steps exceeded maximum") for w in fit.warnings)
    assert not fit.converged


def per_pixel_metrics(rgb: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> dict:
    """The design's metrics summed over every pixel, the plain way (the reference for the
    weighted sums over distinct colours that `complete` uses)."""
    from kmquant.colour import ciede2000, srgb_to_lab

    x = rgb.reshape(-1, 3) / 255.0
    palette = np.round(centres * 255) / 255
    image = (x - palette[labels]) * 255
    fit = (x - centres[labels]) * 255
    total = (x - x.mean(axis=0)) * 255
    sse = float((image**2).sum())
    return {
        "sse": sse,
        "fit_sse": float((fit**2).sum()),
        "variance_explained": 1 - sse / float((total**2).sum()),
        "mean_ciede2000": float(ciede2000(srgb_to_lab(x), srgb_to_lab(palette)[labels]).mean()),
        "n_empty_clusters": int((np.bincount(labels, minlength=len(centres)) == 0).sum()),
    }


@pytest.mark.parametrize("sampled", [True, False])
def test_metrics_summed_over_distinct_colours_equal_the_per_pixel_sums(sampled: bool) -> None:
    # Few distinct colours, many repeats: the weighted sums do real work.
    rgb = RNG.integers(0, 6, (40, 50, 3), dtype=np.uint8) * 51
    n = 40 * 50
    px = pixels.Pixels(rgb, 255, pixels.fit_sample(n, 500 if sampled else n, 0))
    raw = fit_native("r", px.fit_features(), 7, 0, 300)  # Hartigan-Wong: own labels
    result = fitting.complete(raw, px, {"image": "x"})
    expected = per_pixel_metrics(rgb, result.centres, result.labels.astype(np.int64))
    scored = result.meta | score_image(px, result.centres, result.labels)
    for name, value in expected.items():
        assert scored[name] == pytest.approx(value, rel=1e-12), name


def test_colours_split_between_labels_are_scored_as_every_pixel_is() -> None:
    """Labels that give one colour several palette entries (not nearest-centre labels) are
    scored from the CIELAB of the image's distinct colours as the plain per-pixel sums."""
    rgb = RNG.integers(0, 6, (20, 30, 3), dtype=np.uint8) * 51
    px = pixels.Pixels(rgb, 255, np.arange(600))
    centres, labels = RNG.random((5, 3)), RNG.integers(0, 5, 600)
    assert len(pixels.colour_label_counts(px.grouping, labels)[0]) > len(px.grouping[0])
    expected = per_pixel_metrics(rgb, centres, labels)
    scored = score_image(px, centres, labels)
    for name in ("sse", "variance_explained", "mean_ciede2000"):
        assert scored[name] == pytest.approx(expected[name], rel=1e-12), name


@pytest.mark.parametrize("impl", ["python", "r", pytest.param("opencv", marks=pytest.mark.slow)])
def test_a_batch_of_ks_modes_and_seeds_is_the_same_fits_as_one_job_each(
    tmp_path: Path, impl: str
) -> None:
    """One process fitting every K's modes and seeds writes what one process per fit writes
    (for the libraries whose generator is process-wide: R's set.seed, OpenCV's theRNG), each
    shared start read from its own file."""
    small_photo().save(tmp_path / "photo.png")
    cli = [sys.executable, "-m", "kmquant"]
    run = {"check": True, "capture_output": True, "cwd": ROOT}
    subprocess.run(
        [*cli, "pixels", tmp_path / "photo.png", tmp_path / "p.npz", "--fit-max-pixels", "1000"],
        **run,
    )
    tasks = [(8, "matched", 0), (8, "matched", 1), (8, "tied", 1), (8, "native", 0),
             (8, "native", 2), (4, "matched", 0), (4, "native", 0)]  # fmt: skip
    inits = {
        (k, mode, seed): str(tmp_path / f"i_{mode}{k}_{seed}.csv")
        for k, mode, seed in tasks
        if MODES[mode].shared_start
    }
    starts = dump([Run(*task, out) for task, out in inits.items()])
    subprocess.run([*cli, "init", tmp_path / "p.npz", "--runs", starts], **run)

    def fit(batch: list[tuple[int, str, int]], name: str) -> list[Path]:
        outs = [tmp_path / f"{name}_{mode}{k}_{seed}.npz" for k, mode, seed in batch]
        runs = [
            Run(*task, str(out), inits.get(task)) for task, out in zip(batch, outs, strict=True)
        ]
        subprocess.run(
            [
                *cli,
                "fit",
                tmp_path / "p.npz",
                "--runs",
                dump(runs),
                "--impl",
                impl,
                "--image",
                "photo",
                "--max-iter",
                "300",
            ],
            **run,
        )
        return outs

    batched = fit(tasks, "batch")
    for task, path in zip(tasks, batched, strict=True):
        (alone,) = fit([task], "alone")
        a, b = fitting.load(path), fitting.load(alone)
        assert (a.meta["k_requested"], a.meta["mode"], a.meta["seed"]) == task
        assert np.array_equal(a.centres, b.centres) and np.array_equal(a.labels, b.labels)
        timing = {"fit_seconds"}
        assert {k: v for k, v in a.meta.items() if k not in timing} == {
            k: v for k, v in b.meta.items() if k not in timing
        }
    # Seeds 0 and 1 start from other centres and end elsewhere, so a start given to the
    # wrong fit would show.
    first, second = (fitting.load(batched[i]).centres for i in (0, 1))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ('[{"k": 2, "mode": "matched", "seed": 0, "out": "a.npz"}]',
         "a matched run needs initial centres (init)"),
        ('[{"k": 2, "mode": "native", "seed": 0, "out": "a.npz", "init": "a.csv"}]',
         "a native run takes no initial centres (init)"),
        ('[{"k": 2, "mode": "native", "seed": 0, "out": "a.npz"},'
         ' {"k": 2, "mode": "native", "seed": 0, "out": "b.npz"}]',
         "two runs of one (K, mode, seed, space): native_k2_s0"),
        ('[{"k": 2, "mode": "native", "seed": 0, "out": "a.npz"},'
         ' {"k": 4, "mode": "native", "seed": 0, "out": "a.npz"}]',
         "two runs of one output file: a.npz"),
        ('[{"k": 2, "mode": "nope", "seed": 0, "out": "a.npz"}]', "no mode nope"),
        ('[{"k": 0, "mode": "native", "seed": 0, "out": "a.npz"}]', "K at least 1"),
        ('[{"k": 2, "mode": "native", "out": "a.npz"}]', "give k, mode, seed and out"),
        ('[{"k": 2, "mode": "native", "seed": 0, "out": "a.npz", "x": 1}]', "no field x"),
        ("[]", "give a JSON list of at least one run"),
        ("matched:0", "not JSON"),
    ],
)  # fmt: skip
def test_a_jobs_runs_are_refused_whole_in_one_sentence(
    tmp_path: Path, runs: str, message: str
) -> None:
    """A fit job's runs are one JSON value, checked whole before anything is read: every run
    complete, initial centres exactly for the shared-start modes, no run or file twice."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kmquant",
            "fit",
            "p.npz",
            "--runs",
            runs,
            "--impl",
            "python",
            "--image",
            "x",
            "--max-iter",
            "5",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert message in done.stderr


@pytest.mark.slow
def test_an_r_trace_steps_to_where_its_full_run_ends(tmp_path: Path) -> None:
    """china.jpg, K = 4: R stepped one Lloyd iteration at a time takes 35 steps and ends where
    its full run ends. (Read as views into R's memory, which R reuses, the R
    arrays once made this trace stop after 5 steps, 27 levels away.)"""
    from kmquant import convergence

    cli = [sys.executable, "-m", "kmquant"]
    run = {"check": True, "capture_output": True, "cwd": tmp_path}
    subprocess.run(
        [*cli, "pixels", ROOT / "data" / "china.jpg", "p.npz", "--fit-max-pixels", "300000"], **run
    )
    subprocess.run([*cli, "init", "p.npz", "--runs", dump([Run(4, "matched", 0, "i.csv")])], **run)
    for impl in ("python", "r"):
        runs = dump([Run(4, "matched", 0, f"{impl}.npz", "i.csv")])
        subprocess.run(
            [
                *cli,
                "fit",
                "p.npz",
                "--runs",
                runs,
                "--impl",
                impl,
                "--image",
                "china",
                "--max-iter",
                "300",
            ],
            **run,
        )
    subprocess.run(
        [
            *cli,
            "converge",
            "p.npz",
            "i.csv",
            "c.npz",
            "--fits",
            "python.npz",
            "r.npz",
            "--max-iter",
            "300",
        ],
        **run,
    )
    checks = {row["impl"]: row for row in convergence.table_rows(tmp_path / "c.npz")[2]}
    assert checks["r"]["stepped_iterations"] == 35  # the full run counts one more: 36
    assert checks["r"]["ends_equal"] and checks["python"]["ends_equal"]
