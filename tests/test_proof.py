"""The proof on the shipped photos: matched mode starts with no pixel exactly tied and ends
identical in both languages, while the tied experiment (the same colours on the lattice)
reproduces the finding that exact ties alone send the two runs apart.

The ties are counted here in exact rational arithmetic, by code of this test alone.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import ROOT
from kmquant import initial, pixels
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS

PHOTOS = ("china", "flower")
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def exact_ties(colours: np.ndarray, centres: np.ndarray, max_value: int) -> tuple[int, int]:
    """Pixels whose two nearest centres are exactly equally far, counted (a) in colour units,
    integer colours against the centres times max_value (exactly the lattice colours for a
    lattice start), and (b) between the float64 features and centres that the fits read.

    A float shortlist (best two squared distances within a relative 1e-6, far wider than
    rounding) picks the candidates; Fractions decide them.
    """
    distinct, counts = np.unique(colours, axis=0, return_counts=True)
    units = centres * max_value
    d2 = ((distinct[:, None, :] - units[None, :, :]) ** 2).sum(axis=2)
    best = d2.min(axis=1, keepdims=True)
    near = d2 <= best * (1 + 1e-6) + 1e-9

    def tied(point: list[Fraction], candidates: list[list[Fraction]]) -> bool:
        d = [sum((c - x) ** 2 for c, x in zip(centre, point, strict=True)) for centre in candidates]
        return d.count(min(d)) > 1

    in_units = floats = 0
    for row in np.flatnonzero(near.sum(axis=1) > 1):
        rows = np.flatnonzero(near[row])
        colour = [Fraction(int(v)) for v in distinct[row]]
        if tied(colour, [[Fraction(float(v)) for v in units[j]] for j in rows]):
            in_units += int(counts[row])
        feature = [Fraction(float(v)) for v in distinct[row] / max_value]
        if tied(feature, [[Fraction(float(v)) for v in centres[j]] for j in rows]):
            floats += int(counts[row])
    return in_units, floats


@pytest.fixture(scope="module")
def photos() -> dict[str, pixels.Pixels]:
    return {
        name: pixels.prepare(ROOT / "data" / f"{name}.jpg", DEFAULT["fit_max_pixels"], 0, "#fff")
        for name in PHOTOS
    }


@pytest.mark.slow
def test_the_matched_start_leaves_no_pixel_exactly_tied(photos: dict) -> None:
    for name, px in photos.items():
        colours = np.asarray(Image.open(ROOT / "data" / f"{name}.jpg").convert("RGB"))
        colours = colours.reshape(-1, 3)
        for k in DEFAULT["k_values"]:
            for seed in DEFAULT["seeds"]:
                centres = initial.initial_centres(px, k, seed, off_lattice=True)
                assert exact_ties(colours, centres, 255) == (0, 0), (name, k, seed)


def test_the_lattice_start_of_the_same_colours_has_exact_ties(photos: dict) -> None:
    """The counter above finds ties where they are: the tied start at K = 64."""
    px = photos["china"]
    centres = initial.initial_centres(px, 64, 0, off_lattice=False)
    in_units, in_floats = exact_ties(px.colours, centres, 255)
    assert in_units > 100
    assert in_floats > 0  # many stay exactly tied in the floats the libraries read


@pytest.fixture(scope="module")
def china_pairs(default_study: Path) -> Path:
    """The pair records of the default study (run once for every slow test that reads it):
    matched at K = 64 and 256, tied at K = 64, china.jpg, seed 0."""
    return default_study / "results" / "agreement"


def _pairs(folder: Path, name: str) -> dict[tuple[str, str], dict]:
    records = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return {(record["impl_a"], record["impl_b"]): record for record in records}


def _pair(folder: Path, name: str) -> dict:
    return _pairs(folder, name)[HEADLINE]


@pytest.mark.slow
@pytest.mark.parametrize("k", [64, 256])
def test_matched_pairs_of_a_shipped_photo_are_identical(china_pairs: Path, k: int) -> None:
    """Every pair of implementations in double precision that ran the task: at K = 64 Python,
    R, Elkan, SciPy (amap runs the small K only), at 256 the headline pair."""
    exact = {
        pair: record
        for pair, record in _pairs(china_pairs, f"matched/china/k{k}_s0").items()
        if all(IMPLEMENTATIONS[name].exact for name in pair)
    }
    assert len(exact) == (6 if k == 64 else 1)
    for pair in exact.values():
        assert pair["verdict"] == "identical", pair["message"]
        assert pair["share_equal_labels"] == 1.0
        assert pair["max_centre_distance_8bit"] < 1.75e-10  # the README: "within 1.7e-10"
        assert pair["tied_initial_pixels"] == 0


@pytest.mark.slow
def test_the_tied_pair_reproduces_the_finding(china_pairs: Path, photos: dict) -> None:
    pair = _pair(china_pairs, "tied/china/k64_s0")
    px = photos["china"]
    expected, _ = exact_ties(px.colours, initial.initial_centres(px, 64, 0, False), 255)
    assert pair["verdict"] != "identical"
    assert pair["tied_initial_pixels"] == expected
    assert pair["message"].startswith(
        f"{expected} pixels are exactly equidistant from two initial centres"
    )
    # How far the two runs end apart is measured, not only named.
    assert pair["share_equal_labels"] < 1.0
    assert pair["max_image_difference_8bit"] > 0
    assert pair["relative_sse_difference"] != 0.0


def test_a_matched_pair_stopped_at_max_iter_is_the_same_fit(tmp_path: Path) -> None:
    """Stopped after two iterations, both languages hold the same centres, but R's own
    labels are those of its last assignment (one centre update earlier) while scikit-learn
    relabels: each fit is then labelled against its final centres, and the pair is
    identical."""
    from conftest import small_photo
    from kmquant import agreement, fitting
    from kmquant.implementations import call

    small_photo(96, 64).save(tmp_path / "photo.png")
    px = pixels.prepare(tmp_path / "photo.png", 10**6, 0, "#fff")
    init = initial.initial_centres(px, 16, 0, off_lattice=True)
    raws = {impl: call(impl, "fit_shared", px.fit_features(), init, 2, 1) for impl in HEADLINE}
    assert not any(raw.converged for raw in raws.values())
    features = px.colours / 255
    fits = {}
    for impl, raw in raws.items():
        distances = ((features[:, None, :] - raw.centres[None]) ** 2).sum(axis=2)
        nearest = distances.argmin(axis=1)
        fits[impl] = fitting.complete(raw, px, {"impl": impl})
        np.testing.assert_array_equal(fits[impl].labels, nearest)
    assert (raws["r"].labels != fits["r"].labels).any()  # R's own labels are a step behind
    record = agreement.compare(fits["python"], fits["r"])
    assert record["verdict"] == "identical"
    causes, message = agreement.explain_shared_start(record, fits["python"], fits["r"], tied=0)
    assert causes == []
    assert message == (
        "the same fit; both runs stopped at max_iter (2 iterations) and each is labelled "
        "against its final centres"
    )
