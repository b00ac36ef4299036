"""End-to-end: the real Snakefile on a tiny study, run by real snakemake in a temporary folder."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from hashlib import sha256
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import REPRODUCIBLE, ROOT, run_snakemake, small_photo, whole_run, write_config
from kmquant import explorer, fitting, initial
from kmquant.conversions import CONVERTERS
from kmquant.environment import installed_lock
from kmquant.figures import FIGURES
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, pairs
from kmquant.manifest import SNAKEMAKE_MARK
from kmquant.reference import QUANTIZERS


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_fits_table_has_one_row_per_fit(tiny_run: Path) -> None:
    rows = read_csv(tiny_run / "results" / "tables" / "fits.csv")
    keys = {(r["image"], r["impl"], r["mode"], r["k_requested"], r["seed"]) for r in rows}
    # images x implementations x modes x K
    assert len(rows) == len(keys) == 2 * len(IMPLEMENTATIONS) * 3 * 2
    # SciPy's own start (drawn from a Gaussian) leaves clusters empty, and it says so.
    warned = {(r["impl"], r["mode"]) for r in rows if r["status"] != "ok"}
    assert warned == {("scipy", "native")}
    for row in rows:
        assert float(row["mse"]) == pytest.approx(float(row["sse"]) / (3 * int(row["n_pixels"])))


def test_fits_table_has_every_metric_of_the_design(tiny_run: Path) -> None:
    rows = read_csv(tiny_run / "results" / "tables" / "fits.csv")
    key = ("photo", "r", "matched", "8")
    photo = next(r for r in rows if (r["image"], r["impl"], r["mode"], r["k_requested"]) == key)
    assert (photo["index_bits"], photo["palette_bits"]) == ("3", "192")
    assert float(photo["ratio_theoretical"]) == pytest.approx(24 * 1536 / (192 + 1536 * 3))
    png = tiny_run / "results" / "images" / "r" / "matched" / "photo" / "k8_s0.png"
    assert int(photo["indexed_png_bytes"]) == png.stat().st_size
    original = tiny_run / "results" / "images" / "original" / "photo.png"
    assert int(photo["original_png_bytes"]) == original.stat().st_size
    assert float(photo["png_size_ratio"]) == pytest.approx(
        original.stat().st_size / png.stat().st_size
    )
    assert 0 < float(photo["variance_explained"]) < 1
    assert 0 < float(photo["mean_ciede2000"]) < 100


def test_native_summary_and_convergence_tables(tiny_run: Path) -> None:
    tables = tiny_run / "results" / "tables"
    summary = read_csv(tables / "native_summary.csv")
    assert {(r["image"], r["k_requested"], r["impl"]) for r in summary} == {
        (image, k, impl)
        for image in ("photo", "five_colours")
        for k in ("2", "8")
        for impl in IMPLEMENTATIONS
    }
    checks = read_csv(tables / "convergence_check.csv")
    assert len(checks) == 2 * 1 * 2  # images x convergence K values x languages
    assert {r["ends_equal"] for r in checks} == {"true"}
    trace = read_csv(tables / "convergence.csv")
    python = [
        r for r in trace if (r["image"], r["k_requested"], r["impl"]) == ("photo", "8", "python")
    ]
    assert len(python) > 5
    # Both languages agree at every iteration, not only at the end.
    assert all(float(r["max_difference_to_other_8bit"]) < 1e-9 for r in python)
    r_trace = [r for r in trace if (r["image"], r["k_requested"], r["impl"]) == ("photo", "8", "r")]
    assert len(r_trace) == len(python)
    assert float(r_trace[-1]["max_difference_to_other_8bit"]) < 1e-9


def test_every_figure_is_a_valid_png_and_svg(tiny_run: Path) -> None:
    figures = tiny_run / "results" / "figures"
    names = list(FIGURES)
    names += [
        f"{kind}_{image}" for kind in ("images", "palettes") for image in ("photo", "five_colours")
    ]
    for name in names:
        with Image.open(figures / f"{name}.png") as im:
            im.verify()
            assert im.size[0] > 400
        root = ElementTree.parse(figures / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")


def test_the_reference_quantizers_are_rows_lines_and_pictures(tiny_run: Path) -> None:
    results = tiny_run / "results"
    rows = read_csv(results / "tables" / "reference.csv")
    methods = list(QUANTIZERS)  # the schema's default: every one
    assert sorted((r["image"], r["method"], r["k_requested"]) for r in rows) == sorted(
        (image, method, k)
        for image in ("five_colours", "photo")
        for method in methods
        for k in ("2", "8")
    )
    for row in rows:
        assert row["status"] == "ok", row
        png = results / "reference" / row["method"] / row["image"] / f"k{row['k_requested']}.png"
        assert int(row["indexed_png_bytes"]) == png.stat().st_size
        assert int(row["n_colours"]) <= int(row["k_requested"])
    manifest = (results / "manifest.sha256").read_text()
    assert "results/reference/pngquant/photo/k8.png" in manifest
    # Every quantizer is a line of the quality and timing figures; pngquant is in the grid.
    figures = results / "figures"
    for name in ("quality", "storage", "elbow", "timing"):
        svg = (figures / f"{name}.svg").read_text()
        assert all(method in svg for method in methods), name
    assert "pngquant" in (figures / "images_photo.svg").read_text()
    ranking = read_csv(results / "tables" / "ranking.csv")
    n_methods = len(IMPLEMENTATIONS) + len(methods)
    assert len(ranking) == 2 * 2 * 3 * n_methods  # images x K x (PSNR, CIEDE2000, SSIM)
    assert {int(r["n_methods"]) for r in ranking} == {n_methods}
    # Per image, K and metric one best method, or several that tie; every method has its rank.
    best = {(r["image"], r["k_requested"], r["metric"]) for r in ranking if r["best"] == "true"}
    assert len(best) == 2 * 2 * 3


def test_fewer_colours_than_k_gives_k_effective_in_every_implementation(tiny_run: Path) -> None:
    rows = read_csv(tiny_run / "results" / "tables" / "fits.csv")
    five = [r for r in rows if r["image"] == "five_colours" and r["k_requested"] == "8"]
    assert {(r["impl"], r["mode"]) for r in five} == {
        (impl, mode) for impl in IMPLEMENTATIONS for mode in ("matched", "tied", "native")
    }
    assert {r["k_effective"] for r in five} == {"5"}
    # Five colours, five centres from a shared start: lossless, whatever the implementation.
    assert {r["psnr_db"] for r in five if r["mode"] != "native"} == {"inf"}


def test_matched_pairs_are_identical_and_shared_starts_say_why_not(tiny_run: Path) -> None:
    rows = read_csv(tiny_run / "results" / "tables" / "agreement.csv")
    every_pair = pairs(list(IMPLEMENTATIONS))
    assert len(rows) == 2 * 3 * 2 * len(every_pair)  # images x modes x K x pairs
    assert [(r["impl_a"], r["impl_b"]) for r in rows[: len(every_pair)]] == every_pair
    matched = [r for r in rows if r["mode"] == "matched"]
    exact = [
        r
        for r in matched
        if IMPLEMENTATIONS[r["impl_a"]].exact and IMPLEMENTATIONS[r["impl_b"]].exact
    ]
    assert {r["verdict"] for r in exact} == {"identical"}
    for row in matched:
        assert row["tied_initial_pixels"] == "0"
    for row in exact:
        assert float(row["max_centre_distance_8bit"]) < 1e-9 * 255
    for row in rows:
        if row["mode"] != "native":
            assert row["verdict"] == "identical" or (row["message"] and row["causes"]), row


def test_indexed_pngs_show_the_fitted_palette(tiny_run: Path) -> None:
    results = tiny_run / "results"
    for impl in IMPLEMENTATIONS:
        png = results / "images" / impl / "matched" / "photo" / "k8_s0.png"
        fit = fitting.load(results / "fits" / impl / "matched" / "photo" / "k8_s0.npz")
        with Image.open(png) as im:
            assert im.mode == "P"
            assert im.size == (48, 32)
            shown = np.asarray(im.convert("RGB")).reshape(-1, 3)
        expected = np.round(np.asarray(fit.centres) * 255)[fit.labels]
        np.testing.assert_array_equal(shown, expected)


def test_every_pair_of_colour_conversions_is_compared_on_every_image(tiny_run: Path) -> None:
    tables = tiny_run / "results" / "tables"
    images = read_csv(tables / "images.csv")
    colours = {row["image"]: row["n_distinct_colours"] for row in images if not row["rejected"]}
    rows = read_csv(tables / "conversions.csv")
    expected = [(image, a, b) for image in sorted(colours) for a, b in combinations(CONVERTERS, 2)]
    assert [(row["image"], row["a"], row["b"]) for row in rows] == expected
    for row in rows:
        assert row["n_colours"] == colours[row["image"]]
        assert 0 <= float(row["mean_delta_e00"]) <= float(row["max_delta_e00"]) < 1


def test_timings_and_environment(tiny_run: Path) -> None:
    timings = read_csv(tiny_run / "results" / "tables" / "timings.csv")
    references = [t for t in timings if t["mode"] == "reference"]
    assert len(timings) - len(references) == 2 * len(IMPLEMENTATIONS) * 3 * 2  # one per fit
    assert len(references) == 2 * 2 * len(QUANTIZERS)  # images x K x reference quantizers
    assert all(float(t["job_wall_seconds"]) > 0 for t in timings if t not in references)
    assert all(float(t["fit_seconds"]) > 0 for t in references)
    environment = json.loads((tiny_run / "results" / "environment.json").read_text())
    assert environment["r_build"]["version"].startswith("R version")
    assert environment["packages"]["scikit-learn"]
    assert set(environment["implementations"]) == set(IMPLEMENTATIONS)
    assert environment["implementations"]["amap"].startswith("amap ")
    assert environment["packages"]["imagequant"]
    pngquant = subprocess.run(["pngquant", "--version"], capture_output=True, text=True)
    tools = environment["reference_quantizers"]
    assert list(tools) == sorted(QUANTIZERS)  # every tool of the registry, as JSON sorts them
    assert tools["pngquant"] == f"pngquant {pngquant.stdout.strip()}"
    assert tools["libimagequant"] == f"imagequant {environment['packages']['imagequant']}"
    # The lock setup.sh installed from, as it recorded it (None in an environment of one's own).
    assert environment["lock"] == installed_lock(sys.prefix)


def test_second_run_has_nothing_to_do(tiny_run: Path) -> None:
    result = run_snakemake(tiny_run, "--cores", "2", "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def planned_jobs(workdir: Path, **change: object) -> dict[str, int]:
    """The jobs a dry run plans after `change` to the config, counted per rule."""
    config = yaml.safe_load((workdir / "config.yaml").read_text()) | change
    write_config(workdir, **config)
    stats = run_snakemake(workdir, "--cores", "2", "-n").stdout
    # Snakemake prints its table of jobs per rule more than once: count each rule once.
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", stats, re.M)}


def per_impl(planned: dict[str, int], kind: str) -> dict[str, int]:
    """The planned jobs of the rules `{kind}_{impl}`, one per implementation."""
    counted = {
        rule.removeprefix(f"{kind}_"): n
        for rule, n in planned.items()
        if rule.startswith(f"{kind}_")
    }
    assert set(counted) <= set(IMPLEMENTATIONS), counted
    return counted


def test_an_added_image_reruns_only_its_own_jobs_and_an_added_k_or_seed_every_batch(
    tiny_run: Path, tmp_path: Path
) -> None:
    """Fit jobs are one per (implementation, image), each for every K, mode and seed; pairs,
    PNGs and the reference quantizers one job per image."""
    work = tmp_path / "copy"
    shutil.copytree(tiny_run, work, symlinks=True)  # keeps the times that tell what is done
    every = dict.fromkeys(IMPLEMENTATIONS, 2)
    # A new image: its own fit, PNG and pairs jobs, none of the other images'.
    small_photo(12, 9).save(work / "data" / "added.png")
    # Its pixels first: the plan of its jobs follows from them (a checkpoint).
    run_snakemake(work, "--cores", "2", "results/pixels/added.npz")
    jobs = planned_jobs(work)
    assert per_impl(jobs, "fit") == dict.fromkeys(IMPLEMENTATIONS, 1)
    assert jobs["images"] == 1 and jobs["agreement"] == 1 and jobs["over_images"] == 1
    # One job runs every reference quantizer on it.
    assert jobs["reference"] == 1
    (work / "data" / "added.png").unlink()
    # A new K: every fit job refits, and each image's pairs and PNGs.
    jobs = planned_jobs(work, k_values=[2, 4, 8])
    assert per_impl(jobs, "fit") == every
    assert jobs["agreement"] == 2 and jobs["images"] == 2
    # A new seed: the same.
    jobs = planned_jobs(work, k_values=[2, 8], seeds=[0, 1])
    assert per_impl(jobs, "fit") == every and jobs["agreement"] == 2
    # Only the headline pair runs the new seed: the other implementations are not refitted.
    jobs = planned_jobs(work, k_values=[2, 8], seeds=[0, 1], cross_seeds=[0])
    assert per_impl(jobs, "fit") == dict.fromkeys(HEADLINE, 2)
    # Their PNGs: each image's job, which writes the others' again (the same bytes).
    assert jobs["images"] == 2


@pytest.mark.slow
def test_a_fresh_run_on_one_core_gives_byte_identical_results(
    tiny_run: Path, tiny_study: Path
) -> None:
    run_snakemake(tiny_study, "--cores", "1")
    for name in REPRODUCIBLE:
        first = (tiny_run / "results" / name).read_bytes()
        assert first == (tiny_study / "results" / name).read_bytes(), name


def test_manifest_checks_with_sha256sum(tiny_run: Path) -> None:
    result = subprocess.run(
        ["sha256sum", "-c", "--strict", "results/manifest.sha256"],
        cwd=tiny_run,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = result.stdout.count(": OK")
    assert listed == len((tiny_run / "results" / "manifest.sha256").read_text().splitlines())
    assert "results/images/r/matched/photo/k8_s0.png: OK" in result.stdout


def test_the_manifest_hashes_every_reproducible_file_of_the_run(tiny_run: Path) -> None:
    """Every file a rerun reproduces byte for byte, and nothing else: not the arrays between
    steps (a fit's record keeps its seconds), timings, logs, figures (their bytes depend on
    fonts), the report or the environment."""
    results = tiny_run / "results"
    lines = (results / "manifest.sha256").read_text().splitlines()
    listed = {line.split(maxsplit=1)[1] for line in lines}
    kept_out = {
        "logs",
        "benchmarks",
        "timings",
        "pixels",
        "fits",
        "convergence",
        "figures",
        "report",
        "environment.json",
        "manifest.sha256",
    }
    written = {
        f"results/{path.relative_to(results).as_posix()}"
        for path in results.rglob("*")
        if path.is_file()
        and path.relative_to(results).parts[0] not in kept_out
        and path.name not in ("timings.csv", SNAKEMAKE_MARK)
    }
    assert listed == written
    assert "results/tables/rate_distortion.csv" in listed


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_results(tiny_run: Path, tiny_study: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(tiny_study),
        "--cores",
        "2",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    fits = tiny_study / "results" / "fits"
    deadline = time.monotonic() + 120
    while len(list(fits.rglob("*.npz"))) < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # Hidden temporaries (".k2_s0.npz.*.tmp.npz") are what a killed writer leaves behind.
    written = [p for p in fits.rglob("*.npz") if not p.name.startswith(".")]
    assert 6 <= len(written) < 24, "the kill should land in the middle of the fits"
    for path in written:  # whatever exists under its final name is complete
        fitting.load(path)
    # A killed snakemake leaves its lock on the folder: release it, then run again.
    run_snakemake(tiny_study, "--unlock")
    run_snakemake(tiny_study, "--cores", "2")
    for name in REPRODUCIBLE:
        first = (tiny_run / "results" / name).read_bytes()
        assert first == (tiny_study / "results" / name).read_bytes(), name


@pytest.mark.slow
def test_rejected_images_are_listed_and_the_study_goes_on(tiny_study: Path) -> None:
    data = tiny_study / "data"
    (data / "photo.png").unlink()  # the costliest image; five colours stays as the control
    # Usable: a single pixel and a one-colour image, with spaces and non-ASCII letters.
    Image.new("RGB", (1, 1), (10, 200, 30)).save(data / "ein Pixel ä.png")
    Image.new("RGB", (4, 3), (90, 90, 250)).save(data / "einfarbig ö.png")
    # Rejected: a text file named .png and a truncated JPEG.
    (data / "notes.png").write_text("not an image")
    buffer = io.BytesIO()
    small_photo().save(buffer, "JPEG")
    (data / "cut off.jpg").write_bytes(buffer.getvalue()[:300])
    run_snakemake(tiny_study, "--cores", "2")
    tables = tiny_study / "results" / "tables"
    rejected = read_csv(tables / "rejected_images.csv")
    assert [r["image"] for r in rejected] == ["cut_off", "notes"]
    assert all(r["message"].startswith("data/") for r in rejected)
    fits = read_csv(tables / "fits.csv")
    assert {r["image"] for r in fits} == {"five_colours", "ein_Pixel_a", "einfarbig_o"}
    flat = [r for r in fits if r["image"] in ("ein_Pixel_a", "einfarbig_o")]
    assert len(flat) == 2 * len(IMPLEMENTATIONS) * 3 * 2  # images x implementations x modes x K
    assert {r["k_effective"] for r in flat} == {"1"}
    # Each fit is one colour exactly, but SciPy's own start draws from the points' covariance
    # (undefined for one pixel, singular for one colour), and scikit-learn's Elkan warns that
    # it runs Lloyd for one cluster.
    failed = {(r["impl"], r["mode"]) for r in flat if r["status"] == "error"}
    assert failed == {("scipy", "native")}
    assert {r["psnr_db"] for r in flat if r["status"] != "error"} == {"inf"}
    assert {r["impl"] for r in flat if r["status"] == "warning"} == {"elkan"}
    pairs = [r for r in read_csv(tables / "agreement.csv") if r["image"] == "ein_Pixel_a"]
    with_scipy = (r for r in pairs if "scipy" in (r["impl_a"], r["impl_b"]))
    assert {r["verdict"] for r in with_scipy if r["mode"] == "native"} == {"failed"}
    # float32 centres round 30/255 away from double precision: the same image at best.
    exact = {name for name, entry in IMPLEMENTATIONS.items() if entry.exact}
    ran = [r for r in pairs if r["verdict"] != "failed"]
    assert {r["verdict"] for r in ran} == {"identical", "same_image"}
    assert {r["verdict"] for r in ran if {r["impl_a"], r["impl_b"]} <= exact} == {"identical"}


@pytest.mark.slow
def test_odd_file_names_links_and_shapes_are_studied_or_listed(tmp_path: Path) -> None:
    """Each file of the folder is studied under a safe name, or listed as rejected with its
    reason without being opened, and the study completes."""
    data = tmp_path / "data"
    data.mkdir()
    studied = {"-x.png": "x", "NA.png": "NA", "tall.png": "tall"}
    for name in studied:
        small_photo(12, 8).save(data / name)
    Image.new("RGB", (1, 1200), (200, 30, 30)).save(data / "tall.png")  # 1 x 1200 pixels
    small_photo(12, 8).save(data / ("l" * 236 + ".png"))
    small_photo(12, 8).save(data / ("a" * 25 + ".png"))
    small_photo(12, 8).save(data / "a{b}.png")
    small_photo(12, 8).save(Path(os.fsdecode(bytes(data) + b"/caf\xe9.png")), "PNG")
    (data / "dead.png").symlink_to(data / "gone.png")
    (data / "loop.png").symlink_to(data / "loop.png")
    (data / "folder.png").mkdir()
    os.mkfifo(data / "pipe.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["matched"],
        implementations=["python", "r"],
        reference_quantizers=["pngquant"],
        convergence_k=[],
    )
    run_snakemake(tmp_path, "--cores", "2")
    tables = tmp_path / "results" / "tables"
    names = {row["image"]: row["file"] for row in read_csv(tables / "images.csv")}
    long, periodic = (next(n for n in names if n.startswith(start)) for start in ("ll", "aa"))
    assert len(long) == 64 and re.fullmatch("a{25}_[0-9a-f]{6}", periodic)
    fitted = {row["image"] for row in read_csv(tables / "fits.csv")}
    assert fitted == {*studied.values(), long, periodic}
    assert names["a_b"].endswith("a{b}.png") and names["caf"].endswith("caf\ufffd.png")
    rejected = {row["image"]: row["message"] for row in read_csv(tables / "rejected_images.csv")}
    assert set(rejected) == {"a_b", "caf", "dead", "loop", "folder", "pipe"}
    assert rejected["pipe"].endswith("pipe.png: not a regular file")
    assert "not valid UTF-8" in rejected["caf"] and "leads to no file" in rejected["loop"]
    assert "Snakemake reads as a wildcard" in rejected["a_b"]
    # Of five images, the image grids of the first four by name are drawn (per_image_figures
    # left out), the tall strip among them.
    figures = tmp_path / "results" / "figures"
    accepted = sorted((*studied.values(), long, periodic))
    assert [(figures / f"images_{name}.png").exists() for name in accepted] == [True] * 4 + [False]
    assert accepted[-1] == "x"
    with Image.open(figures / "images_tall.png") as figure:
        assert figure.height < 4 * figure.width  # drawn thin, not a figure metres tall


def test_a_study_of_only_rejected_files_lists_them_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.png").write_text("not an image")
    (tmp_path / "data" / "dead.png").symlink_to(tmp_path / "gone.png")
    write_config(tmp_path, image_dir="data", k_values=[2], seeds=[0], modes=["matched"])
    result = run_snakemake(tmp_path, "--cores", "2")
    assert "No image of the study could be read" in result.stderr
    tables = tmp_path / "results" / "tables"
    assert [row["image"] for row in read_csv(tables / "rejected_images.csv")] == ["dead", "notes"]
    assert sorted(path.name for path in tables.iterdir()) == ["images.csv", "rejected_images.csv"]


@pytest.mark.slow
def test_a_failing_fit_becomes_a_row_and_the_study_completes(tiny_study: Path) -> None:
    (tiny_study / "data" / "five colours.png").unlink()  # one image is enough here
    run_snakemake(tiny_study, "--cores", "2", "results/init/matched/photo/k8_s0.csv")
    # Duplicate initial centres: R's kmeans and amap::Kmeans stop ("initial centers are not
    # distinct"), the Python libraries run. A real failure in some implementations only.
    init_csv = tiny_study / "results" / "init" / "matched" / "photo" / "k8_s0.csv"
    centres = initial.read_centres(init_csv)
    initial.write_centres(np.vstack([centres[:-1], centres[:1]]), init_csv)
    run_snakemake(tiny_study, "--cores", "2")

    fits = read_csv(tiny_study / "results" / "tables" / "fits.csv")
    failed = [r for r in fits if r["status"] == "error"]
    assert [(r["impl"], r["mode"], r["image"], r["k_requested"]) for r in failed] == [
        ("amap", "matched", "photo", "8"),
        ("r", "matched", "photo", "8"),
    ]
    assert {r["message"] for r in failed} == {"initial centers are not distinct"}
    failed_pairs = [
        r
        for r in read_csv(tiny_study / "results" / "tables" / "agreement.csv")
        if r["verdict"] == "failed"
    ]
    # R and amap against every other implementation that ran the task, and each other.
    assert len(failed_pairs) == 2 * (len(IMPLEMENTATIONS) - 2) + 1
    pair = next(r for r in failed_pairs if (r["impl_a"], r["impl_b"]) == ("python", "r"))
    assert pair["message"] == "r failed: initial centers are not distinct"
    images = tiny_study / "results" / "images"
    assert not (images / "r" / "matched" / "photo" / "k8_s0.png").exists()
    assert (images / "python" / "matched" / "photo" / "k8_s0.png").exists()
    assert not (images / "difference" / "matched" / "photo" / "k8_s0.png").exists()
    # The explorer shows the Python side and says why the R side is empty.
    results = tiny_study / "results"
    view = explorer.explorer_data(whole_run(results), results / "report")["views"][
        "photo|matched|rgb|8|0"
    ]
    assert view["fits"]["r"]["status"] == "error"
    assert view["fits"]["r"]["png"] is None and view["fits"]["r"]["palette"] is None
    assert len(view["fits"]["python"]["palette"]) == 8
    pair = view["pairs"]["python|r"]
    assert pair["verdict"] == "failed" and pair["match"] is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"k_values": [0, 2]}, "'k_values'"),
        ({"k_values": [-4]}, "'k_values'"),
        ({"k_values": [4097]}, "'k_values'"),
        ({"seeds": list(range(1001))}, "'seeds'"),
        ({"k_values": []}, "'k_values'"),
        ({"k_values": [2.5]}, "'k_values'"),
        ({"seeds": [-1]}, "'seeds'"),
        ({"modes": ["lattice"]}, "'lattice' is not one of ['matched', 'tied', 'native']"),
        ({"tied_seeds": [-1]}, "'tied_seeds'"),
        ({"colour": "red"}, "'colour' was unexpected"),
        ({"k": [2, 8]}, "config key 'k' is now called 'k_values': rename it"),
        ({"images": ["missing.png"]}, "config key 'images': missing.png does not exist"),
        ({"max_iter": 300.0}, "config key 'max_iter': 300.0 is not a whole number: write 300"),
        ({"max_iter": 2**31}, "'max_iter'"),
        ({"per_image_figures": ["nope"]}, "config key 'per_image_figures': nope is not an image"),
        ({"convergence_seeds": [4]},
         "config key 'convergence_seeds': none of [4] is among 'seeds' [0]"),
        # Python's one job per image would fit 8 x 601 runs: far too long for a shell.
        ({"seeds": list(range(300)), "k_values": [2, 4, 8, 16, 32, 64, 128, 256],
          "modes": ["matched", "tied", "native"]},
         "config keys 'k_values' and 'seeds': 4808 runs in one job are"),
    ],
)  # fmt: skip
def test_bad_config_is_rejected_naming_the_key(
    tiny_study: Path, change: dict[str, object], expected: str
) -> None:
    """A real run, not a dry one: had the check let the config through, its jobs would have
    written results."""
    config = yaml.safe_load((tiny_study / "config.yaml").read_text()) | change
    write_config(tiny_study, **config)
    result = run_snakemake(tiny_study, "--cores", "2", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output, output
    assert not (tiny_study / "results").exists()


@pytest.mark.slow
def test_a_study_of_only_large_k_draws_no_palette_figure(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    small_photo().save(tmp_path / "data" / "photo.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["matched"],
        implementations=list(HEADLINE),
        reference_quantizers=["pngquant"],
        palette_max_k=1,
        convergence_k=[],
    )
    run_snakemake(tmp_path, "--cores", "2")
    figures = {p.name for p in (tmp_path / "results" / "figures").iterdir()}
    assert "images_photo.png" in figures and "elbow.png" in figures
    assert not any(name.startswith("palettes_") for name in figures)


@pytest.mark.slow
def test_files_with_one_name_are_all_studied_and_listed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    photo = small_photo(12, 8)
    photo.save(data / "photo.png")
    photo.save(data / "photo.jpg", quality=90)  # an original and its export
    Image.new("RGB", (3, 2), (200, 10, 10)).save(data / "a b.png")
    Image.new("RGB", (2, 2), (10, 10, 200)).save(data / "a_b.png")
    # Names are the point here: the headline pair and one quantizer stand for the others.
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["matched"],
        implementations=list(HEADLINE),
        reference_quantizers=["pngquant"],
        convergence_k=[],
    )
    run_snakemake(tmp_path, "--cores", "2")
    tables = tmp_path / "results" / "tables"
    listed = {r["file"]: r for r in read_csv(tables / "images.csv")}
    hashed = {
        f: "a_b_png_" + sha256(f.encode()).hexdigest()[:6] for f in ("data/a b.png", "data/a_b.png")
    }
    expected = {"data/photo.png": "photo_png", "data/photo.jpg": "photo_jpg", **hashed}
    assert {f: r["image"] for f, r in listed.items()} == expected
    assert (listed["data/photo.jpg"]["width"], listed["data/photo.jpg"]["height"]) == ("12", "8")
    assert listed["data/a b.png"]["n_distinct_colours"] == "1"
    assert listed["data/photo.png"]["n_distinct_colours"] == str(
        len(np.unique(np.asarray(photo).reshape(-1, 3), axis=0))
    )
    assert {r["rejected"] for r in listed.values()} == {""}
    fits = read_csv(tables / "fits.csv")
    assert {r["image"] for r in fits} == set(expected.values())


def test_the_fit_jobs_of_the_most_fits_start_first(tmp_path: Path) -> None:
    """On one core, every shared start first, then faiss (two K) before Elkan (one K), though
    Elkan comes first in the registry and its one start is ready first: the longest jobs must
    not be left to run alone at the end."""
    (tmp_path / "data").mkdir()
    small_photo(12, 8).save(tmp_path / "data" / "photo.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2, 4],
        seeds=[0],
        modes=["matched", "native"],
        implementations=["elkan", "faiss"],
        implementation_k_values={"elkan": [2]},
        reference_quantizers=["pngquant"],
        convergence_k=[],
    )
    fits = [f"results/fits/{impl}/native/photo/k2_s0.npz" for impl in ("elkan", "faiss")]
    done = run_snakemake(tmp_path, "--cores", "1", *fits)
    log = done.stdout + done.stderr
    started = re.findall(r"^(?:local)?rule (initial_centres_\w+|fit_\w+):", log, flags=re.M)
    assert started == ["initial_centres_matched"] * 2 + ["fit_faiss", "fit_elkan"], log
