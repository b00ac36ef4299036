"""Nearest-centre labelling, exact tie counting and the quality metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kmquant.labelling import count_tied_pixels, nearest_labels
from kmquant.metrics import mse, palette_8bit, psnr_db, sse_8bit


def test_nearest_labels_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (5000, 3))
    colours[2500:] = colours[:2500]  # repeated colours share one distance computation
    centres = rng.random((17, 3))
    x = colours / 255.0
    brute = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(nearest_labels(colours, 255, centres), brute)


def test_nearest_labels_take_the_first_centre_on_a_tie_and_skip_nan_centres() -> None:
    colours = np.array([[100, 100, 100]])
    centres = np.array([[np.nan] * 3, [90, 100, 100], [110, 100, 100]]) / 255.0
    assert nearest_labels(colours, 255, centres).tolist() == [1]


def test_tied_pixels_counted_in_integer_arithmetic() -> None:
    centres = np.array([[0, 0, 0], [2, 0, 0], [10, 10, 10]])
    colours = np.array([[1, 0, 0], [1, 0, 0], [1, 5, 0], [0, 0, 0], [6, 6, 6]])
    # [1,0,0] (twice) and [1,5,0] are equidistant from the first two centres.
    assert count_tied_pixels(colours, centres) == 3


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
