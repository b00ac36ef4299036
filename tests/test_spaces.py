"""The colour spaces a fit can cluster in (kmquant.spaces): each transform against
colour-science, the field's reference, the way back to 8-bit sRGB, and `kmquant compress
--space` labelling every pixel in its space, checked with colour-science's own conversion."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import colour
import numpy as np
import pytest
from PIL import Image

from kmquant import compressed, fitting, initial, pixels, runs, spaces
from kmquant.agreement import compare_in_space
from kmquant.config_checks import check_names
from kmquant.fitting import Task
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, space_runs
from kmquant.spaces import SPACES, to_srgb


def colours_8bit() -> np.ndarray:
    """8-bit colours: a lattice over the cube with its corners, the darkest ones (where the
    linear parts of the curves apply) and random ones."""
    steps = np.r_[np.arange(0, 256, 15), 255]
    lattice = np.stack(np.meshgrid(steps, steps, steps), axis=-1).reshape(-1, 3)
    dark = np.stack(np.meshgrid(*[np.arange(12)] * 3), axis=-1).reshape(-1, 3)
    return np.vstack([lattice, dark, np.random.default_rng(0).integers(0, 256, (3000, 3))])


def reference(space: str, rgb: np.ndarray) -> np.ndarray:
    """colour-science's transform of sRGB in [0, 1] into `space`."""
    if space == "rgb":
        return rgb
    if space == "linear":
        return colour.cctf_decoding(rgb, function="sRGB")
    xyz = colour.sRGB_to_XYZ(rgb)
    return colour.XYZ_to_Lab(xyz) if space == "cielab" else colour.XYZ_to_Oklab(xyz)


#: How far each forward transform may stand from colour-science's: Oklab's by the route, since
#: colour-science goes through XYZ with the sRGB standard's four-digit matrix and Ottosson's
#: first XYZ-to-LMS matrix, where Oklab as CSS Color 4 and its author publish it takes linear
#: sRGB straight to LMS (about 1e-4 of a unit on which white is L = 1).
TOLERANCE = {"rgb": 0.0, "linear": 1e-15, "cielab": 1e-12, "oklab": 2e-4}


def test_every_space_is_checked_against_the_reference() -> None:
    assert set(TOLERANCE) == set(SPACES) and next(iter(SPACES)) == spaces.RGB


@pytest.mark.parametrize("space", list(SPACES))
def test_each_transform_is_colour_science_s(space: str) -> None:
    rgb = colours_8bit() / 255
    forward = SPACES[space].forward(rgb)
    assert forward.dtype == np.float64 and forward.shape == rgb.shape
    np.testing.assert_allclose(forward, reference(space, rgb), rtol=0, atol=TOLERANCE[space])


def test_oklab_takes_white_to_l_one_and_no_hue() -> None:
    """Oklab's definition, which its published matrices meet to their ten digits."""
    np.testing.assert_allclose(spaces.srgb_to_oklab(np.ones(3)), [1, 0, 0], atol=1e-7)


@pytest.mark.parametrize("space", list(SPACES))
def test_every_8bit_colour_comes_back_as_itself(space: str) -> None:
    """The inverse undoes the forward transform to rounding, so that a centre on an image's
    colour is shown as that colour; no colour of the cube counts as out of gamut."""
    rgb8 = colours_8bit()
    back, outside = to_srgb(space, SPACES[space].forward(rgb8 / 255))
    np.testing.assert_allclose(back, rgb8 / 255, rtol=0, atol=1e-12)
    assert outside == 0 and np.array_equal(np.round(back * 255), rgb8)


def test_cielab_s_inverse_is_colour_science_s_within_its_printed_matrix() -> None:
    """colour-science inverts with the standard's printed four-digit inverse matrix; ours is
    the exact inverse of the forward matrix, which is why the two differ by a few 1e-4."""
    lab = SPACES["cielab"].forward(colours_8bit() / 255)
    ours = SPACES["cielab"].inverse(lab)
    theirs = colour.XYZ_to_sRGB(colour.Lab_to_XYZ(lab))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=5e-4)


def test_a_centre_outside_the_gamut_is_clipped_and_counted() -> None:
    """CIELAB (50, 120, 0) is a magenta no sRGB display shows; a centre half a step outside
    the cube is not counted (its 8-bit colour is the same clipped), and an empty (NaN) centre
    stays empty."""
    lab = np.array([[50.0, 120.0, 0.0], [100.0, 0.0, 0.0], [np.nan] * 3])
    shown, outside = to_srgb("cielab", lab)
    assert outside == 1
    assert (shown[:2] >= 0).all() and (shown[:2] <= 1).all() and np.isnan(shown[2]).all()
    unclipped = colour.XYZ_to_sRGB(colour.Lab_to_XYZ(lab[0]))
    assert unclipped.min() < 0 or unclipped.max() > 1
    np.testing.assert_allclose(shown[0], np.clip(unclipped, 0, 1), atol=5e-4)
    assert to_srgb("rgb", np.array([[1 + 0.4 / 255, 0.5, -0.4 / 255]]))[1] == 0
    assert to_srgb("rgb", np.array([[1 + 0.6 / 255, 0.5, 0.5]]))[1] == 1


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60 x 80 crop of a shipped photograph."""
    path = tmp_path_factory.mktemp("space") / "crop.png"
    with Image.open(Path(__file__).parents[1] / "data" / "flower.jpg") as image:
        image.convert("RGB").crop((200, 150, 280, 210)).save(path)
    return path


@pytest.mark.parametrize("space", ["cielab", "oklab"])
def test_compress_labels_every_pixel_by_its_nearest_centre_in_the_space(
    photo: Path, tmp_path: Path, space: str
) -> None:
    """`kmquant compress --space`: the PNG's palette is each centre taken back to 8-bit sRGB,
    and each pixel's index is its nearest centre in the space, both checked here through
    colour-science's conversions, not the study's."""
    out = tmp_path / "out.png"
    command = [sys.executable, "-m", "kmquant", "compress", str(photo), str(out), "--k", "12"]
    options = ["--space", space, "--threads", "1"]
    done = subprocess.run([*command, *options], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"in {space}" in done.stderr and "colours clipped to sRGB" in done.stderr
    result, _, _ = compressed.compress(
        photo, tmp_path / "again.png", 12, "python", 0, 300, 300_000, 0, "#ffffff", 1, None, space
    )
    assert (tmp_path / "again.png").read_bytes() == out.read_bytes()
    with Image.open(out) as png, Image.open(photo) as original:
        indices = np.asarray(png).reshape(-1)
        palette = np.array(png.getpalette()[: 3 * len(result.centres)]).reshape(-1, 3)
        pixels = np.asarray(original.convert("RGB")).reshape(-1, 3) / 255
    # colour-science's coordinates lie within TOLERANCE of the fit's: each pixel's centre is
    # its nearest there but for what that moves a squared distance.
    coordinates = reference(space, pixels)
    distances = ((coordinates[:, None, :] - result.centres[None, :, :]) ** 2).sum(axis=2)
    chosen = distances[np.arange(len(indices)), indices]
    assert (chosen <= distances.min(axis=1) + 10 * TOLERANCE[space]).all()
    assert (indices == distances.argmin(axis=1)).mean() > 0.999
    # The objective is the fit's own, summed in the space's units.
    assert result.meta["fit_sse"] == pytest.approx(chosen.sum(), rel=1e-3)
    logged = re.search(r"(\d+) colours clipped to sRGB", done.stderr)
    assert logged is not None and int(logged.group(1)) == result.meta["n_out_of_gamut"]
    if space == "cielab":
        back = colour.XYZ_to_sRGB(colour.Lab_to_XYZ(result.centres))
        # Rounding's half step, and the two inverses' few 1e-4 (see the test above).
        assert np.abs(palette - np.clip(back, 0, 1) * 255).max() <= 0.5 + 5e-4 * 255


def test_a_space_is_one_registry_entry(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A space added to the registry alone (here sRGB scaled by two) is fitted, labelled,
    scored and written, with its objective in its own units."""
    doubled = dataclasses.replace(
        SPACES["rgb"], name="doubled", forward=lambda x: 2 * x, inverse=lambda x: x / 2
    )
    monkeypatch.setitem(SPACES, "doubled", doubled)
    args = (16, "python", 0, 300, 300_000, 0, "#ffffff", 1, None)
    plain, plain_psnr, _ = compressed.compress(photo, tmp_path / "rgb.png", *args, "rgb")
    twice, twice_psnr, _ = compressed.compress(photo, tmp_path / "two.png", *args, "doubled")
    np.testing.assert_allclose(twice.centres, 2 * plain.centres, rtol=1e-12)
    assert twice.meta["fit_sse"] == pytest.approx(4 * plain.meta["fit_sse"], rel=1e-9)
    assert twice_psnr == plain_psnr
    assert (tmp_path / "two.png").read_bytes() == (tmp_path / "rgb.png").read_bytes()
    # The study takes it too: the config names it, its runs are planned and travel to a job.
    study = {"k_values": [16], "seeds": [0], "spaces": ["rgb", "doubled"]}
    check_names(study)
    assert space_runs("python", "matched", "doubled", study) == ([16], [0])
    run = {"k": 16, "mode": "matched", "seed": 0, "out": "a", "init": "s", "space": "doubled"}
    assert runs.parse(json.dumps([run]))[0].space == "doubled"


def exactly_tied(points: np.ndarray, centres: np.ndarray) -> int:
    """Points whose two nearest centres are exactly equally far, decided in rational
    arithmetic on the float64 values (shortlisted in floating point within a relative 1e-6)."""
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    near = d2 <= d2.min(axis=1, keepdims=True) * (1 + 1e-6) + 1e-12
    tied = 0
    for row in np.flatnonzero(near.sum(axis=1) > 1):
        point = [Fraction(float(v)) for v in points[row]]
        exact = [
            sum((Fraction(float(c)) - x) ** 2 for c, x in zip(centres[j], point, strict=True))
            for j in np.flatnonzero(near[row])
        ]
        tied += exact.count(min(exact)) > 1
    return tied


@pytest.fixture(scope="module")
def small_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pixels.Pixels]:
    """The shipped photographs at an eighth of their size (about 4,300 pixels each)."""
    folder = tmp_path_factory.mktemp("small")
    loaded = {}
    for name in ("china", "flower"):
        with Image.open(Path(__file__).parents[1] / "data" / f"{name}.jpg") as image:
            small = image.convert("RGB").reduce(8)
        small.save(folder / f"{name}.png")
        loaded[name] = pixels.prepare(folder / f"{name}.png", 10**6, 0, "#ffffff")
    return loaded


#: Every K of the default grid for the headline pair; every other double-precision
#: implementation up to K = 64, as the default study runs them.
PROOF_KS = (2, 4, 8, 16, 32, 64, 128, 256)


@pytest.mark.parametrize("space", [name for name in SPACES if name != spaces.RGB])
def test_the_proof_holds_in_every_space(small_photos: dict, space: str) -> None:
    """Matched mode in a space: the shared start (the image colours of the sRGB start, moved
    off the lattice, then transformed) leaves no pixel exactly tied in the space, and every
    double-precision implementation given the same float64 coordinates ends with the same
    labels and centres (as the study compares fits), at every K of the default grid."""
    exact = [name for name, entry in IMPLEMENTATIONS.items() if entry.exact]
    for name, photo in small_photos.items():
        points = SPACES[space].forward(photo.grouping[0] / photo.max_value)
        for k in PROOF_KS:
            init = initial.initial_centres(photo, k, 0, True, space)
            np.testing.assert_array_equal(
                init, SPACES[space].forward(initial.initial_centres(photo, k, 0, True))
            )
            assert exactly_tied(points, init) == 0, (name, k)
            impls = exact if k <= 64 else list(HEADLINE)
            fits = [
                fitting.fit_image(photo, Task(name, impl, "matched", k, 0), 300, 1, init, space)
                for impl in impls
            ]
            for fit in fits[1:]:
                record = compare_in_space(fits[0], fit, space)
                assert record["verdict"] == "identical", (name, k, record)
                assert record["share_equal_labels"] == 1.0
