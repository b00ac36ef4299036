"""The full default study (config.yaml, the shipped photos), run by real snakemake.

Slow (about 15 minutes on 2 cores): `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("default")
    shutil.copy(ROOT / "config.yaml", workdir / "config.yaml")
    (workdir / "data").symlink_to(ROOT / "data")
    run_snakemake(workdir, "--cores", "2")
    return workdir


def _rows(workdir: Path, table: str) -> list[dict[str, str]]:
    with open(workdir / "results" / "tables" / table, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_fit_of_the_grid_is_in_the_table(default_study: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    rows = _rows(default_study, "fits.csv")
    expected = 2 * 2 * len(config["modes"]) * len(config["k"]) * len(config["seeds"])
    assert len(rows) == expected
    assert {r["image"] for r in rows} == {"china", "flower"}
    assert {int(r["k_requested"]) for r in rows} == set(config["k"])
    assert {r["n_fit_pixels"] for r in rows} == {"273280"}  # the photos fit on all pixels


def test_matched_mode_is_identical_or_says_why(default_study: Path) -> None:
    matched = [r for r in _rows(default_study, "agreement.csv") if r["mode"] == "matched"]
    assert len(matched) == 2 * 8 * 3
    for row in matched:
        if row["verdict"] == "identical":
            assert float(row["max_centre_distance_8bit"]) < 255e-9
            assert row["share_equal_labels"] == "1.0"
            assert row["n_iter_python"] == row["n_iter_r"] or row["message"], row
        else:
            assert row["message"], row
    identical = {(r["image"], r["k_requested"]) for r in matched if r["verdict"] == "identical"}
    # Small palettes reach the same fit in both languages on both photographs.
    assert {("china", "2"), ("flower", "2"), ("china", "4"), ("flower", "4")} <= identical
