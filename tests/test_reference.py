"""The reference quantizers, really run (the pngquant binary, libimagequant through its
binding, Pillow), scored from the PNGs they wrote; and the ranking against our fits."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure
from PIL import Image

from conftest import ROOT, run_snakemake, small_photo, write_config
from kmquant import colour, pixels, ranking, reference, report

K_VALUES = (2, 16)


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> pixels.Pixels:
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    small_photo(64, 48).save(path)
    return pixels.prepare(path, 10**6, 0, "#fff")


def _rgb(px: pixels.Pixels) -> np.ndarray:
    return px.rgb.astype(np.uint8)


@pytest.mark.parametrize("k", K_VALUES)
@pytest.mark.parametrize("method", list(reference.QUANTIZERS))
def test_each_reference_png_is_scored_from_its_own_pixels(
    photo: pixels.Pixels, method: str, k: int
) -> None:
    result = reference.quantize(method, _rgb(photo), k)
    assert result.error == "" and result.png is not None
    with Image.open(io.BytesIO(result.png)) as im:
        assert im.mode == "P" and im.size == (64, 48)
        shown = np.asarray(im.convert("RGB")).reshape(-1, 3)
    n_colours = len(np.unique(shown, axis=0))
    assert n_colours <= k
    row = reference.record(method, k, result, photo, "photo")
    # Every metric again, pixel by pixel on the decoded PNG, by this test's own sums.
    original = photo.colours.astype(np.float64)
    diff = shown - original
    sse = float((diff**2).sum())
    mse = sse / (3 * photo.n)
    sst = float(((original - original.mean(axis=0)) ** 2).sum())
    lab = colour.srgb_to_lab(original / 255), colour.srgb_to_lab(shown / 255)
    assert row["status"] == "ok" and row["n_colours"] == n_colours
    assert row["sse"] == pytest.approx(sse, rel=1e-12)
    assert row["mse"] == pytest.approx(mse, rel=1e-12)
    assert row["psnr_db"] == pytest.approx(10 * np.log10(255**2 / mse), rel=1e-12)
    assert row["variance_explained"] == pytest.approx(1 - sse / sst, rel=1e-12)
    assert row["mean_ciede2000"] == pytest.approx(colour.ciede2000(*lab).mean(), rel=1e-9)
    assert row["indexed_png_bytes"] == len(result.png)
    assert row["index_bits"] == int(np.ceil(np.log2(n_colours)))


def test_pngquant_is_the_real_binary(photo: pixels.Pixels, tmp_path: Path) -> None:
    """The row's image is what `pngquant --nofs 16` writes when run here by hand, and its
    version is the binary's own."""
    binary = shutil.which("pngquant")
    assert binary, "pngquant must be installed (setup.sh installs it)"
    Image.fromarray(_rgb(photo)).save(tmp_path / "in.png")
    subprocess.run(
        [
            binary,
            "--nofs",
            "--output",
            str(tmp_path / "out.png"),
            "16",
            "--",
            str(tmp_path / "in.png"),
        ],
        check=True,
    )
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    result = reference.quantize("pngquant", _rgb(photo), 16)
    assert result.version == f"pngquant {version.stdout.strip()}"
    with Image.open(tmp_path / "out.png") as by_hand, Image.open(io.BytesIO(result.png)) as ours:
        np.testing.assert_array_equal(
            np.asarray(ours.convert("RGB")), np.asarray(by_hand.convert("RGB"))
        )


def test_one_job_runs_each_tool_as_if_alone(photo: pixels.Pixels, tmp_path: Path) -> None:
    """`kmquant reference` given several tools writes, for each, the PNGs and records its own
    `write_outputs` writes alone; a tool named twice or not registered (here and in an image
    figure) is refused in one sentence before any runs."""
    pixels.save(photo, tmp_path / "p.npz")
    cli = [sys.executable, "-m", "kmquant", "reference", "p.npz", "--image", "photo", "--k", "2"]
    tools = ["pngquant", "pillow_mediancut"]
    given = [word for tool in tools for word in ("--tool", tool, f"{tool}", f"{tool}.json")]
    subprocess.run([*cli, "16", *given], check=True, capture_output=True, cwd=tmp_path)
    for tool in tools:
        alone = tmp_path / "alone" / tool
        reference.write_outputs(photo, tool, "photo", [2, 16], alone, alone.with_suffix(".json"))
        written = sorted(path.name for path in (tmp_path / tool).iterdir())
        assert written == sorted(path.name for path in alone.iterdir())
        for name in written:
            assert (tmp_path / tool / name).read_bytes() == (alone / name).read_bytes()
        assert len(json.loads((tmp_path / f"{tool}.json").read_text())) == 2
    one_run = ["--image", "photo", "--mode", "matched", "--seed", "0", "--k", "2"]
    given = ["--original", "o.png", "--images", "a", "b", "--differences", "d", "--reference", "x"]
    figure = subprocess.run(
        [sys.executable, "-m", "kmquant", "image-figure", "f", *one_run, *given],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert figure.returncode != 0 and "--reference x: no such quantizer" in figure.stderr
    for wrong, message in (("nope", "--tool nope: no such"), ("pngquant", "given twice")):
        refused = subprocess.run(
            [*cli, "--tool", "pngquant", "a", "a.json", "--tool", wrong, "b", "b.json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert message in refused.stderr
        assert not (tmp_path / "a").exists()


def test_a_missing_pngquant_is_a_row_not_a_crash(
    photo: pixels.Pixels, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(reference.binary_variable("pngquant"), "/nonexistent/pngquant")
    result = reference.quantize("pngquant", _rgb(photo), 16)
    assert result.png is None
    row = reference.record("pngquant", 16, result, photo, "photo")
    assert row["status"] == "error"
    assert row["message"] == "pngquant: no binary '/nonexistent/pngquant' found"
    assert "psnr_db" not in row


@pytest.mark.parametrize(("method", "k"), [("pngquant", 1), ("libimagequant", 300)])
def test_a_k_outside_a_tools_range_is_a_row_that_says_so(
    photo: pixels.Pixels, method: str, k: int
) -> None:
    row = reference.record(method, k, reference.quantize(method, _rgb(photo), k), photo, "photo")
    assert row["status"] == "error"
    assert row["message"] == f"{method} takes 2 to 256 colours, not {k}"
    assert row["version"] == reference.QUANTIZERS[method].version()


@pytest.mark.parametrize("method", list(reference.QUANTIZERS))
def test_each_quantizer_is_what_its_entry_says(photo: pixels.Pixels, method: str) -> None:
    """It takes exactly the K of its range, its version is read where its entry says, and a
    deterministic one writes the same PNG twice."""
    entry = reference.QUANTIZERS[method]
    rgb = _rgb(photo)
    for k in (entry.min_k - 1, entry.max_k + 1):
        result = reference.quantize(method, rgb, k)
        assert result.png is None
        assert (
            result.error == f"{entry.label} takes {entry.min_k} to {entry.max_k} colours, not {k}"
        )
    first, second = (reference.quantize(method, rgb, k) for k in (entry.min_k, entry.max_k))
    assert first.png is not None and second.png is not None
    where, package = entry.version_of.split(":")
    assert where in ("pip", "command")
    assert first.version == entry.version() == reference.versions()[method]
    assert first.version.startswith(f"{package} ")
    if entry.deterministic:
        assert reference.quantize(method, rgb, entry.min_k).png == first.png
    assert entry.style == {
        "color": entry.colour,
        "linestyle": entry.linestyle,
        "marker": entry.marker,
    }


def test_every_quantizer_has_its_own_line() -> None:
    styles = [tuple(entry.style.values()) for entry in reference.QUANTIZERS.values()]
    assert len(set(styles)) == len(styles)
    labels = [entry.label for entry in reference.QUANTIZERS.values()]
    assert len(set(labels)) == len(labels)


def test_the_default_config_runs_every_quantizer_and_an_unknown_one_is_refused(
    tmp_path: Path,
) -> None:
    """The default config names every registered quantizer (a study leaving the key out runs
    them all); a name not in the registry is refused at load, naming the key and the
    registry's names."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["reference_quantizers"] == list(reference.QUANTIZERS)
    (tmp_path / "data").mkdir()
    small_photo().save(tmp_path / "data" / "a.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["native"],
        reference_quantizers=["gimp"],
    )
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    expected = (
        f"config key 'reference_quantizers': 'gimp' is not one of {list(reference.QUANTIZERS)}"
    )
    assert expected in result.stdout + result.stderr


def test_a_study_without_pngquant_completes_with_error_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    small_photo().save(tmp_path / "data" / "a.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2, 8],
        seeds=[0],
        modes=["native"],
        reference_quantizers=["pngquant", "pillow_mediancut"],
    )
    monkeypatch.setenv(reference.binary_variable("pngquant"), "/nonexistent/pngquant")
    run_snakemake(tmp_path, "--cores", "2", "results/tables/ranking.csv")
    with open(tmp_path / "results" / "tables" / "reference.csv", encoding="utf-8") as handle:
        rows = {(r["method"], r["k_requested"]): r for r in csv.DictReader(handle)}
    assert sorted(rows) == [
        ("pillow_mediancut", "2"),
        ("pillow_mediancut", "8"),
        ("pngquant", "2"),
        ("pngquant", "8"),
    ]
    for k in ("2", "8"):
        assert rows["pngquant", k]["status"] == "error"
        assert "no binary" in rows["pngquant", k]["message"]
        assert rows["pillow_mediancut", k]["status"] == "ok"


def _fit(
    impl: str, mode: str, seed: int, psnr: float, ciede: float, ssim: float = math.nan
) -> dict[str, str]:
    return {
        "image": "a",
        "impl": impl,
        "mode": mode,
        "space": "rgb",
        "k_requested": "8",
        "seed": str(seed),
        "status": "ok",
        "psnr_db": str(psnr),
        "mean_ciede2000": str(ciede),
        "ssim": str(ssim),
    }


def _reference(
    method: str, psnr: float, ciede: float, status: str = "ok", ssim: float = math.nan
) -> dict[str, str]:
    return {
        "image": "a",
        "method": method,
        "k_requested": "8",
        "status": status,
        "psnr_db": str(psnr),
        "mean_ciede2000": str(ciede),
        "ssim": str(ssim),
    }


def test_ranking_takes_each_implementations_best_fit_and_shares_ranks_on_ties() -> None:
    fits = [
        _fit("python", "native", 0, 30.0, 3.0, 0.90),
        _fit("python", "matched", 1, 31.0, 2.5, 0.95),  # Python's best on every metric
        _fit("r", "native", 0, 29.0, 2.0),  # no SSIM (an image smaller than its window)
        {**_fit("r", "native", 1, 99.0, 0.0, 1.0), "status": "error"},  # failed: not counted
    ]
    references = [
        _reference("pngquant", 32.0, 2.0, ssim=0.96),
        _reference("pillow_mediancut", 31.0, 4.0),
        _reference("libimagequant", 0.0, 0.0, status="error"),
    ]
    rows = {(row["metric"], row["method"]): row for row in ranking.ranking(fits, references)}
    assert len(rows) == len(ranking.ranking(fits, references))  # one space of each
    base = {"image": "a", "k_requested": 8}

    def expect(metric: str, method: str, value: float, rank: int, n: int) -> dict:
        return base | {
            "metric": metric,
            "method": method,
            "space": "rgb" if method in ("python", "r") else "",
            "value": value,
            "rank": rank,
            "n_methods": n,
            "best": rank == 1,
        }

    assert rows["psnr_db", "pngquant"] == expect("psnr_db", "pngquant", 32.0, 1, 4)
    assert rows["psnr_db", "python"] == expect("psnr_db", "python", 31.0, 2, 4)
    assert rows["psnr_db", "pillow_mediancut"] == expect("psnr_db", "pillow_mediancut", 31.0, 2, 4)
    assert rows["psnr_db", "r"] == expect("psnr_db", "r", 29.0, 4, 4)
    # Lower is better; pngquant and R tie for the best.
    assert rows["mean_ciede2000", "r"] == expect("mean_ciede2000", "r", 2.0, 1, 4)
    assert rows["mean_ciede2000", "pngquant"]["best"]
    assert rows["mean_ciede2000", "python"] == expect("mean_ciede2000", "python", 2.5, 3, 4)
    assert ("ssim", "r") not in rows  # undefined for R's one fit
    assert rows["ssim", "python"] == expect("ssim", "python", 0.95, 2, 2)


def test_the_report_names_the_best_method_and_the_best_implementation() -> None:
    def row(metric: str, method: str, rank: int, n: int) -> dict[str, str]:
        return {
            "image": "a",
            "k_requested": "8",
            "metric": metric,
            "method": method,
            "rank": str(rank),
            "n_methods": str(n),
            "best": str(rank == 1).lower(),
        }

    rows = [
        row("psnr_db", "pngquant", 1, 4), row("psnr_db", "python", 2, 4),
        row("psnr_db", "r", 4, 4), row("mean_ciede2000", "pngquant", 1, 4),
        row("mean_ciede2000", "r", 1, 4), row("mean_ciede2000", "python", 3, 4),
        row("ssim", "libimagequant", 1, 3), row("ssim", "python", 2, 3),
    ]  # fmt: skip
    ran = [{"method": method, "status": "ok"} for method in ("pngquant", "libimagequant")]
    text = report._against_references(rows, ran)
    assert "Against the quantizers people use" in text
    assert "the (up to) 4 methods" in text
    lines = text.splitlines()
    start = lines.index("   * - a")
    cells = ["a"] + [line.removeprefix("     - ") for line in lines[start + 1 : start + 8]]
    assert cells == [
        "a",
        "8",
        "pngquant (1)",
        "python (2)",
        "pngquant, r (1)",
        "r (1)",
        "libimagequant (1)",
        "python (2)",
    ]


@pytest.fixture
def new_tool(monkeypatch: pytest.MonkeyPatch) -> reference.Quantizer:
    """A reference quantizer added to the registry and nowhere else."""
    entry = dataclasses.replace(
        reference.QUANTIZERS["pillow_fastoctree"],
        name="pillow_octree_copy",
        label="a copy of Pillow's fast octree",
        colour="0.3",
        linestyle="-",
        marker="X",
    )
    monkeypatch.setitem(reference.QUANTIZERS, entry.name, entry)
    return entry


def _lines(figure: Figure, label: str) -> list[tuple[str, str, str]]:
    """(colour, line style, marker) of every line of the figure with this legend label."""
    return [
        (line.get_color(), line.get_linestyle(), line.get_marker())
        for ax in figure.axes
        for line in ax.get_lines()
        if line.get_label() == label
    ]


def test_a_new_reference_quantizer_is_one_registry_entry(
    new_tool: reference.Quantizer, photo: pixels.Pixels
) -> None:
    """An entry of the registry, with no other edit, runs and is scored, is drawn in its own
    style in every figure that draws the reference quantizers, is named by the report's front
    page and the explorer where it ran, and has its version in the environment."""
    import pandas as pd

    from kmquant import environment, explorer, figures

    name = new_tool.name
    result = reference.quantize(name, _rgb(photo), 8)
    row = reference.record(name, 8, result, photo, "photo")
    assert row["status"] == "ok" and row["version"] == new_tool.version()
    style = (new_tool.colour, new_tool.linestyle, new_tool.marker)
    metrics = {
        "psnr_db": 30.0,
        "mean_ciede2000": 3.0,
        "ssim": 0.9,
        "sse": 10.0,
        "variance_explained": 0.9,
        "ratio_theoretical": 3.0,
        "png_size_ratio": 2.0,
    }
    fits = pd.DataFrame(
        [
            {
                "image": "a",
                "impl": "python",
                "mode": "native",
                "k_requested": k,
                "seed": 0,
                "status": "ok",
                **metrics,
            }
            for k in (2, 8)
        ]
    )
    references = pd.DataFrame(
        [
            {"image": "a", "method": name, "k_requested": k, "status": "ok", **metrics}
            for k in (2, 8)
        ]
    )
    for figure_name in figures.METRIC_FIGURES:
        drawn = figures.metric_figure(figure_name, fits, references, "native")
        assert set(_lines(drawn, name)) == {style}, figure_name
        figures.pyplot().close(drawn)
    timings = pd.DataFrame(
        [
            {"impl": impl, "mode": mode, "k_requested": k, "fit_seconds": 0.1}
            for impl, mode in (("python", "matched"), (name, "reference"))
            for k in (2, 8)
        ]
    )
    drawn = figures.timing_figure(timings, "matched")
    assert set(_lines(drawn, name)) == {style}
    figures.pyplot().close(drawn)
    points = pd.DataFrame(
        [
            {
                "image": "a",
                "method": method,
                "space": "rgb" if method == "python" else "",
                "k_requested": k,
                "bits_per_pixel": k / 2,
                "original_bits_per_pixel": 24.0,
                **metrics,
            }
            for method in ("python", name)
            for k in (2, 8)
        ]
    )
    drawn = figures.rate_distortion_figure(points, "native")
    assert set(_lines(drawn, name)) == {style}
    figures.pyplot().close(drawn)
    # The report's front page names it where it ran, and its version.
    ranking = [
        {
            "image": "a",
            "k_requested": "8",
            "metric": "psnr_db",
            "method": method,
            "rank": str(rank),
            "n_methods": "2",
            "best": str(rank == 1).lower(),
        }
        for rank, method in enumerate((name, "python"), 1)
    ]
    ran = [{"image": "a", "method": name, "k_requested": "8", "status": "ok"}]
    fit = {
        "image": "a",
        "impl": "python",
        "mode": "native",
        "space": "rgb",
        "k_requested": "8",
        "seed": "0",
        "status": "ok",
    }
    versions = reference.versions()
    assert versions[name] == new_tool.version()
    assert environment.reference_versions is reference.versions
    environment_json = {
        "python_version": "3.11",
        "packages": {},
        "implementations": {},
        "reference_quantizers": versions,
        "os": "Debian",
        "kernel": "6.1",
        "cpu": "x",
        "cpu_count": 2,
        "r_build": {"version": "R", "blas": "", "lapack": "x"},
    }
    settings = {"max_iter": 300, "fit_max_pixels": 1000, "fit_sample_seed": 0}
    text = report.description([fit], [], environment_json, settings, ranking=ranking, reference=ran)
    assert f"quantized by {new_tool.label} (no dithering)" in text
    assert f"``{name}`` {new_tool.version()}" in text
    assert explorer.reference_menu(["pngquant", name]) == [
        {"name": "pngquant", "label": "pngquant"},
        {"name": name, "label": new_tool.label},
    ]
