"""The benchmark scripts call `kmquant` as its command line takes arguments (they are run by
hand, so a change of the CLI would otherwise only show when someone measures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT
from kmquant.cli import build_parser
from kmquant.implementations import IMPLEMENTATIONS


def test_the_scaling_steps_are_commands_kmquant_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import scaling

    steps = scaling.steps(tmp_path / "photo.png", tmp_path, 8)
    assert {"load", "fit+label python", "png python", "fit+label r", "png r"} == set(steps)
    for command in steps.values():
        assert command[:3] == [sys.executable, "-m", "kmquant"]
        build_parser().parse_args(command[3:])  # a wrong argument exits (SystemExit: 2)


def test_run_costs_accounts_for_every_job_of_a_run(
    tiny_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every job of the run is counted once under its kind, and the seconds inside the fit
    calls are those timings.csv records (summed here by hand from the table)."""
    import csv

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import run_costs

    benchmarks = list((tiny_run / "results" / "benchmarks").rglob("*.tsv"))
    jobs = run_costs.job_seconds(tiny_run)
    assert sum(map(len, jobs.values())) == len(benchmarks)
    assert {f"fits/{impl}" for impl in IMPLEMENTATIONS} <= set(jobs)
    with open(tiny_run / "results" / "tables" / "timings.csv", newline="") as handle:
        timed = [row for row in csv.DictReader(handle) if row["mode"] != "reference"]
    fits = sum(float(row["fit_seconds"]) for row in timed)
    text = run_costs.report(tiny_run, wall=100.0, cores=2)
    assert f"inside the K-means fit calls {fits:.0f} s" in text
    assert f"{len(benchmarks)} jobs" in text
    assert "| fits/python | 2 |" in text  # one job per image
    # Each kind whose start-up is measured with its own loads is a kind of job of the run.
    assert set(run_costs.LOADS) <= set(jobs)


@pytest.mark.parametrize(
    ("benchmark", "kind", "starts_as"),
    [
        ("fits/python/photo.tsv", "fits/python", "fits/python"),
        ("images/photo.tsv", "images", "images"),
        ("images/original/photo.tsv", "images/original", "images/original"),
        ("images/difference/matched/photo.tsv", "images/difference", "images/difference"),
        # A run from before one images job per image: one per implementation and image.
        ("images/python/photo.tsv", "images/python", "images"),
        ("reference/photo.tsv", "reference", "reference"),
    ],
)
def test_each_job_is_counted_under_its_kind_and_starts_as_its_kind_does(
    benchmark: str, kind: str, starts_as: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import run_costs

    root = Path("results/benchmarks")
    assert run_costs.rule_of(root / benchmark, root) == kind
    assert run_costs.kind_of_start(kind) == starts_as


def test_the_pngquant_comparison_runs_compress_and_scores_as_the_study_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its command is one `kmquant compress` takes, and its PSNR and mean CIEDE2000, computed
    once per distinct pair of colours, are those of every pixel (colour-science's CIEDE2000 on
    scikit-image's CIELAB, pixel by pixel)."""
    import colour
    import numpy as np
    from PIL import Image
    from skimage.color import rgb2lab

    from kmquant.pixels import prepare

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import pngquant

    from common import Measured

    commands: list[list[str]] = []
    monkeypatch.setattr(
        pngquant, "measure", lambda command: commands.append(command) or Measured(1.5, 0.0)
    )
    seconds = pngquant.ours(tmp_path / "a.png", tmp_path / "b.png", "r", 256, 1000, "3", "oklab")
    assert seconds == 1.5 and commands[0][:3] == [sys.executable, "-m", "kmquant"]
    parsed = build_parser().parse_args(commands[0][3:])
    assert (parsed.space, parsed.compress_level, parsed.impl) == ("oklab", 3, "r")

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    y = np.where(rng.random((30, 40, 1)) < 0.5, x, x // 8 * 8).astype(np.uint8)
    y[:10] = y[10:20]  # repeated pairs of colours
    x[:10] = x[10:20]
    for name, pixels in (("x.png", x), ("y.png", y)):
        Image.fromarray(pixels).save(tmp_path / name)
    original = prepare(tmp_path / "x.png", 1, 0, "#ffffff")
    psnr, mean_de = pngquant.quality(original, tmp_path / "y.png")
    mse = np.mean((x.astype(float) - y) ** 2)
    assert psnr == pytest.approx(10 * np.log10(255**2 / mse), rel=1e-12)
    per_pixel = colour.delta_E(rgb2lab(x / 255), rgb2lab(y / 255), method="CIE 2000")
    assert mean_de == pytest.approx(per_pixel.mean(), rel=1e-9)


def test_the_spaces_comparison_reads_a_curve_at_a_rival_s_file_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """K-means's quality at a quantizer's file size: linear in log bytes between its K values,
    undefined outside the sizes it wrote."""
    import math

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import spaces

    curve = [
        {"indexed_png_bytes": 1000, "ssim": 0.80},
        {"indexed_png_bytes": 4000, "ssim": 0.90},
        {"indexed_png_bytes": 2000, "ssim": 0.86},
    ]
    assert spaces.at_bytes(curve, "ssim", 2000) == pytest.approx(0.86)
    assert spaces.at_bytes(curve, "ssim", 2828.4271247) == pytest.approx(0.88)  # halfway in log
    assert math.isnan(spaces.at_bytes(curve, "ssim", 999))
    assert spaces.better("ssim", 0.1, 0.0) and spaces.better("mean_ciede2000", -0.1, 0.0)
