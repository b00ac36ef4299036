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
