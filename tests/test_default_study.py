"""The full default study (config.yaml, the shipped photos), run by real snakemake.

Slow (about 20 minutes on 2 cores): `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_snakemake
from kmquant.modes import mode_seeds

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
    runs = sum(len(mode_seeds(mode, config)) for mode in config["modes"]) * len(config["k_values"])
    assert len(rows) == 2 * 2 * runs == 2 * 2 * (3 + 1 + 3) * 8
    assert {r["image"] for r in rows} == {"china", "flower"}
    assert {int(r["k_requested"]) for r in rows} == set(config["k_values"])
    assert {r["n_fit_pixels"] for r in rows} == {"273280"}  # the photos fit on all pixels


def test_every_matched_pair_is_identical(default_study: Path) -> None:
    matched = [r for r in _rows(default_study, "agreement.csv") if r["mode"] == "matched"]
    assert len(matched) == 2 * 8 * 3
    for row in matched:
        assert row["verdict"] == "identical", row
        assert float(row["max_centre_distance_8bit"]) < 255e-9
        assert row["share_equal_labels"] == "1.0"
        assert row["tied_initial_pixels"] == "0"


def test_the_tied_experiment_counts_its_ties_at_every_k(default_study: Path) -> None:
    tied = [r for r in _rows(default_study, "agreement.csv") if r["mode"] == "tied"]
    assert {(r["image"], int(r["k_requested"])) for r in tied} == {
        (image, k) for image in ("china", "flower") for k in (2, 4, 8, 16, 32, 64, 128, 256)
    }
    for row in tied:
        if row["verdict"] != "identical":
            assert int(row["tied_initial_pixels"]) > 0, row
            assert f"{row['tied_initial_pixels']} pixels are exactly equidistant" in row["message"]
    # From K = 64 on, rounding of the tied pixels parts the runs on both photographs.
    assert all(r["verdict"] != "identical" for r in tied if int(r["k_requested"]) >= 64)
