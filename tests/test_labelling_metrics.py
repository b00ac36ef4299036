"""Nearest-centre labelling, exact tie counting and the quality metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kmquant.labelling import count_tied_pixels, nearest_labels
from kmquant.metrics import (
    index_bits,
    mse,
    palette_8bit,
    psnr_db,
    sse_8bit,
    storage,
    total_sum_of_squares_8bit,
    variance_explained,
)
from kmquant.pixels import Pixels


def pixels_of(colours: np.ndarray) -> Pixels:
    """8-bit colours as the pixels of a one-column image, every row fitted."""
    return Pixels(colours.reshape(-1, 1, 3), 255, np.arange(len(colours)))


def test_nearest_labels_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (5000, 3))
    colours[2500:] = colours[:2500]  # repeated colours share one distance computation
    centres = rng.random((17, 3))
    x = colours / 255.0
    brute = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(nearest_labels(pixels_of(colours), centres), brute)


def test_nearest_labels_take_the_first_centre_on_a_tie_and_skip_nan_centres() -> None:
    colours = np.array([[100, 100, 100]])
    centres = np.array([[np.nan] * 3, [90, 100, 100], [110, 100, 100]]) / 255.0
    assert nearest_labels(pixels_of(colours), centres).tolist() == [1]


def test_tied_pixels_counted_in_integer_arithmetic() -> None:
    centres = np.array([[0, 0, 0], [2, 0, 0], [10, 10, 10]])
    colours = np.array([[1, 0, 0], [1, 0, 0], [1, 5, 0], [0, 0, 0], [6, 6, 6]])
    # [1,0,0] (twice) and [1,5,0] are equidistant from the first two centres.
    assert count_tied_pixels(colours, centres) == 3


def test_ties_off_the_lattice_are_decided_exactly() -> None:
    colours = np.array([[1, 0, 0], [1, 0, 0], [2, 0, 0], [0, 3, 0]])
    # [1,0,0] lies halfway between 0.25 and 1.75 (both exact in binary): tied, twice.
    tied = np.array([[0.25, 0, 0], [1.75, 0, 0], [9, 9, 9]])
    assert count_tied_pixels(colours, tied) == 2
    # Moved by 2^-40, far below the float shortlist's tolerance: no longer a tie.
    moved = tied.copy()
    moved[1, 0] += 2.0**-40
    assert count_tied_pixels(colours, moved) == 0


def test_palette_rounds_half_to_even() -> None:
    centres = np.array([[0.5, 1.5, 2.5], [254.5, 3.5, 255.0]]) / 255.0
    assert palette_8bit(centres).tolist() == [[0, 2, 2], [254, 4, 255]]


def test_sse_in_8bit_units() -> None:
    features = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    centres = np.array([[3.0, 4.0, 0.0]]) / 255.0
    # pixel 0: 3^2 + 4^2 = 25; pixel 1: 252^2 + 251^2 + 255^2
    expected = 25 + 252**2 + 251**2 + 255**2
    assert sse_8bit(features, centres, np.array([0, 0])) == pytest.approx(expected)


def test_psnr_of_a_known_pair() -> None:
    # Every channel of every pixel off by 5: MSE 25, PSNR 10 log10(65025 / 25) = 34.151 dB.
    original = np.full((4, 4, 3), 100.0)
    assert mse(float(((original - 105.0) ** 2).sum()), 16) == 25.0
    assert psnr_db(25.0) == pytest.approx(34.1514, abs=1e-4)
    assert psnr_db(0.0) == math.inf


@pytest.mark.parametrize(("k", "bits"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (16, 4), (256, 8)])
def test_index_bits_is_ceil_log2(k: int, bits: int) -> None:
    assert index_bits(k) == bits
    assert bits == (math.ceil(math.log2(k)) if k > 1 else 0)


def test_storage_of_seed_003s_example() -> None:
    # 128 x 128 pixels, K = 16: 24 x 16 + 16384 x 4 = 65,920 bits against 24 x 16384.
    figures = storage(128 * 128, 16)
    assert figures["palette_bits"] + 128 * 128 * figures["index_bits"] == 65_920
    assert figures["raw_bits"] == 393_216
    assert figures["ratio_theoretical"] == pytest.approx(393_216 / 65_920)  # 5.965: "5.96"
    assert math.floor(figures["ratio_theoretical"] * 100) == 596


def test_variance_explained() -> None:
    features = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]) / 255.0
    sst = total_sum_of_squares_8bit(features)
    assert sst == pytest.approx(2.0)  # each pixel 1 unit from the mean
    assert variance_explained(0.5, sst) == pytest.approx(0.75)
    assert variance_explained(0.0, 0.0) == 1.0
