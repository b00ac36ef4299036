"""The full default study (config.yaml, the shipped photos), run by real snakemake.

Slow (about 20 minutes on 2 cores): `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, implementation_ks, run_seeds

pytestmark = pytest.mark.slow


def _rows(workdir: Path, table: str) -> list[dict[str, str]]:
    with open(workdir / "results" / "tables" / table, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_fit_of_the_grid_is_in_the_table(default_study: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    rows = _rows(default_study, "fits.csv")
    runs = {
        impl: sum(len(run_seeds(impl, mode, config)) for mode in config["modes"])
        * len(implementation_ks(impl, config))
        for impl in config["implementations"]
    }
    # Python and R every seed (3 matched, 1 tied, 3 native) at every K; the others one seed
    # in each mode at three K (amap at two).
    assert runs == {"python": 56, "r": 56, "elkan": 9, "scipy": 9, "opencv": 9, "faiss": 9,
                    "amap": 6}  # fmt: skip
    assert len(rows) == 2 * sum(runs.values())
    assert {r["image"] for r in rows} == {"china", "flower"}
    assert {int(r["k_requested"]) for r in rows} == set(config["k_values"])
    assert {r["n_fit_pixels"] for r in rows} == {"273280"}  # the photos fit on all pixels


def test_every_matched_pair_in_double_precision_is_identical(default_study: Path) -> None:
    matched = [r for r in _rows(default_study, "agreement.csv") if r["mode"] == "matched"]
    exact = [r for r in matched if all(IMPLEMENTATIONS[r[f"impl_{s}"]].exact for s in "ab")]
    headline = [r for r in exact if (r["impl_a"], r["impl_b"]) == HEADLINE]
    assert len(headline) == 2 * 8 * 3
    assert {(r["impl_a"], r["impl_b"]) for r in exact} == {
        (a, b) for a, b in [("python", "r"), ("python", "elkan"), ("python", "scipy"),
                            ("python", "amap"), ("r", "elkan"), ("r", "scipy"), ("r", "amap"),
                            ("elkan", "scipy"), ("elkan", "amap"), ("scipy", "amap")]
    }  # fmt: skip
    for row in exact:
        assert row["verdict"] == "identical", row
        assert float(row["max_centre_distance_8bit"]) < 255e-9
        assert row["share_equal_labels"] == "1.0"
        assert row["tied_initial_pixels"] == "0"
    # Every other matched pair has its verdict, numbers and stated cause.
    for row in matched:
        if row["verdict"] != "identical":
            assert row["causes"] and row["message"], row
            assert float(row["max_centre_distance_8bit"]) > 0


def test_the_tied_experiment_counts_its_ties_at_every_k(default_study: Path) -> None:
    tied = [r for r in _rows(default_study, "agreement.csv")
            if r["mode"] == "tied" and (r["impl_a"], r["impl_b"]) == HEADLINE]  # fmt: skip
    assert {(r["image"], int(r["k_requested"])) for r in tied} == {
        (image, k) for image in ("china", "flower") for k in (2, 4, 8, 16, 32, 64, 128, 256)
    }
    for row in tied:
        if row["verdict"] != "identical":
            assert int(row["tied_initial_pixels"]) > 0, row
            assert f"{row['tied_initial_pixels']} pixels are exactly equidistant" in row["message"]
    # From K = 64 on, rounding of the tied pixels parts the runs on both photographs.
    assert all(r["verdict"] != "identical" for r in tied if int(r["k_requested"]) >= 64)
