"""Pixels, the fit sample and the matched-mode initial centres."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import five_colour_image
from kmquant import initial, pixels
from kmquant.runs import Run, dump


def _pixels(rgb: np.ndarray, max_value: int = 255, fit_rows: np.ndarray | None = None):
    n = rgb.shape[0] * rgb.shape[1]
    rows = np.arange(n) if fit_rows is None else fit_rows
    return pixels.Pixels(rgb, max_value, rows)


def test_features_are_rgb_over_max_value_in_row_major_order() -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    x = _pixels(rgb).features()
    assert x.dtype == np.float64
    assert x.shape == (6, 3)
    np.testing.assert_array_equal(x[4], rgb[1, 1] / 255.0)


def test_fit_sample_keeps_all_rows_when_they_fit() -> None:
    np.testing.assert_array_equal(pixels.fit_sample(10, 10, 0), np.arange(10))


def test_fit_sample_draws_distinct_rows_with_default_rng() -> None:
    rows = pixels.fit_sample(1000, 100, 7)
    expected = np.sort(np.random.default_rng(7).choice(1000, 100, replace=False))
    np.testing.assert_array_equal(rows, expected)
    assert len(np.unique(rows)) == 100


def test_prepare_save_load_round_trip(tmp_path: Path) -> None:
    Image.fromarray(five_colour_image()).save(tmp_path / "a.png")
    px = pixels.prepare(tmp_path / "a.png", fit_max_pixels=100, sample_seed=3, background="#fff")
    pixels.save(px, tmp_path / "a.npz")
    back = pixels.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(back.rgb, five_colour_image())
    np.testing.assert_array_equal(back.fit_rows, px.fit_rows)
    assert back.max_value == 255
    assert not back.samples_all
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "a.png"]  # no temporary


def test_initial_centres_are_distinct_colours_of_the_sample() -> None:
    # 600 pixels but only 5 colours: drawing from pixels would repeat colours.
    px = _pixels(five_colour_image())
    centres = initial.initial_centres(px, k=5, seed=0, off_lattice=False)
    assert len(np.unique(centres, axis=0)) == 5
    as_8bit = np.round(centres * 255).astype(np.uint8)
    assert {tuple(c) for c in as_8bit} == {tuple(c) for c in five_colour_image().reshape(-1, 3)}


def test_initial_centres_follow_default_rng_over_sorted_distinct_colours() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    centres = initial.initial_centres(_pixels(rgb), k=4, seed=11, off_lattice=False)
    distinct = np.unique(rgb.reshape(-1, 3), axis=0)
    rows = np.random.default_rng(11).choice(len(distinct), 4, replace=False)
    np.testing.assert_array_equal(centres, distinct[rows] / 255.0)


def test_off_lattice_centres_move_the_same_colours_by_seeded_offsets_within_their_cells() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    on = initial.initial_centres(_pixels(rgb), k=6, seed=11, off_lattice=False)
    off = initial.initial_centres(_pixels(rgb), k=6, seed=11, off_lattice=True)
    # The same generator draws the colours, then one offset per channel.
    rng = np.random.default_rng(11)
    distinct = np.unique(rgb.reshape(-1, 3), axis=0)
    colours = distinct[rng.choice(len(distinct), 6, replace=False)]
    np.testing.assert_array_equal(off, (colours + rng.uniform(-0.5, 0.5, (6, 3))) / 255.0)
    np.testing.assert_array_equal(np.round(off * 255), on * 255)  # each stays in its cell
    assert np.all(np.abs(off * 255 - colours) < 0.5)
    assert np.all(off * 255 != colours)


def test_sixteen_bit_centres_move_by_sixteen_bit_steps() -> None:
    rgb = np.random.default_rng(5).integers(0, 65536, (6, 6, 3), dtype=np.uint16)
    on = initial.initial_centres(_pixels(rgb, 65535), k=3, seed=0, off_lattice=False)
    off = initial.initial_centres(_pixels(rgb, 65535), k=3, seed=0, off_lattice=True)
    assert 0 < np.abs(off - on).max() * 65535 < 0.5


def test_k_larger_than_distinct_colours_is_capped() -> None:
    centres = initial.initial_centres(_pixels(five_colour_image()), k=8, seed=0, off_lattice=True)
    assert centres.shape == (5, 3)
    assert initial.effective_k(8, 5) == 5
    assert initial.effective_k(4, 5) == 4


def test_only_fit_sample_colours_are_drawn() -> None:
    rgb = np.zeros((1, 4, 3), dtype=np.uint8)
    rgb[0, 3] = [9, 9, 9]  # outside the fit sample
    px = _pixels(rgb, fit_rows=np.array([0, 1, 2]))
    centres = initial.initial_centres(px, k=2, seed=0, off_lattice=False)
    assert centres.shape == (1, 3)


def test_one_job_writes_each_runs_start_as_if_alone(tmp_path: Path) -> None:
    """`kmquant init` given runs of both shared-start modes writes each run's centres, those
    `initial_centres` draws for its K and seed, off the lattice in matched mode only; a run of
    a mode without a shared start, or one that names a start, is refused in one sentence."""
    px = _pixels(five_colour_image())
    pixels.save(px, tmp_path / "p.npz")
    written = [
        Run(3, "matched", 0, "m.csv"),
        Run(4, "matched", 1, "n.csv"),
        Run(3, "tied", 0, "t.csv"),
    ]
    init = [sys.executable, "-m", "kmquant", "init", "p.npz", "--runs"]
    subprocess.run([*init, dump(written)], check=True, capture_output=True, cwd=tmp_path)
    for run in written:
        expected = initial.initial_centres(px, run.k, run.seed, off_lattice=run.mode == "matched")
        np.testing.assert_array_equal(initial.read_centres(tmp_path / run.out), expected)
    for wrong, message in (
        (Run(3, "native", 0, "x.csv"), "a native run has no shared start to write"),
        (Run(3, "tied", 0, "x.csv", "t.csv"), "a tied run takes no initial centres (init)"),
    ):
        refused = subprocess.run(
            [*init, dump([wrong])], capture_output=True, text=True, cwd=tmp_path, check=False
        )
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert message in refused.stderr and not (tmp_path / "x.csv").exists()


def test_centres_csv_round_trips_exactly(tmp_path: Path) -> None:
    centres = np.random.default_rng(0).random((7, 3))
    initial.write_centres(centres, tmp_path / "c.csv")
    np.testing.assert_array_equal(initial.read_centres(tmp_path / "c.csv"), centres)


# Sorted; counted in a table of 150 keys, two thirds of them absent.
@pytest.mark.parametrize("n_keys", [None, 150])
def test_grouping_matches_numpy_unique(n_keys: int | None) -> None:
    keys = np.random.default_rng(2).integers(0, 50, 5000) * 3
    first, inverse, counts = pixels.group(keys, n_keys)
    _, u_first, u_inverse, u_counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(first, u_first)
    np.testing.assert_array_equal(inverse, u_inverse)
    np.testing.assert_array_equal(counts, u_counts)
    assert inverse.dtype == np.int32


@pytest.mark.parametrize(("max_value", "dtype"), [(255, np.int32), (65535, np.int64)])
def test_packed_keys_are_as_small_as_the_colours_allow(max_value: int, dtype: type) -> None:
    """An 8-bit photo's keys take 4 bytes per pixel (a 12-megapixel photo: 48 MB less), each
    colour's key is its lexicographic rank among all colours of its depth."""
    colours = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [max_value] * 3])
    keys = pixels.pack(colours, max_value)
    assert keys.dtype == dtype
    side = max_value + 1
    assert keys.tolist() == [0, 1, side, side**2, side**3 - 1]


@pytest.mark.parametrize("max_value", [15, 255, 65535])  # 16**3 keys < 8 x 3000: counted
def test_distinct_colours_match_numpy_unique_over_rows(max_value: int) -> None:
    colours = np.random.default_rng(3).integers(0, 4, (3000, 3)) * (max_value // 3)
    distinct, inverse, counts = pixels.distinct_colours(colours, max_value)
    u_distinct, u_inverse, u_counts = np.unique(
        colours, axis=0, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(distinct, u_distinct)
    np.testing.assert_array_equal(inverse, u_inverse.ravel())
    np.testing.assert_array_equal(counts, u_counts)


def test_colour_label_pairs_keep_a_colour_split_between_labels() -> None:
    colours = np.array([[9, 9, 9], [1, 1, 1], [9, 9, 9], [9, 9, 9], [1, 1, 1]])
    grouping = pixels.distinct_colours(colours, 255)
    rows, labels, counts = pixels.colour_label_counts(grouping, np.array([0, 1, 2, 0, 1]))
    colours = grouping[0][rows]
    pairs = sorted(zip(map(tuple, colours.tolist()), labels.tolist(), counts.tolist(), strict=True))
    assert pairs == [((1, 1, 1), 1, 2), ((9, 9, 9), 0, 2), ((9, 9, 9), 2, 1)]
    rows, labels, counts = pixels.colour_label_counts(grouping, np.array([0, 1, 0, 0, 1]))
    assert grouping[0][rows].tolist() == [[1, 1, 1], [9, 9, 9]]
    assert labels.tolist() == [1, 0] and counts.tolist() == [2, 3]
