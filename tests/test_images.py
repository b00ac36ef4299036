"""Loading images as RGB arrays and writing the indexed PNG."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmquant.images import ImageError, decode_png, encode_png, load_rgb, parse_colour


def _save(tmp_path: Path, image: Image.Image, name: str, **kwargs: object) -> Path:
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def test_rgb_png_loads_exactly(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    rgb, max_value = load_rgb(_save(tmp_path, Image.fromarray(pixels), "a.png"))
    assert max_value == 255
    np.testing.assert_array_equal(rgb, pixels)


def test_greyscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    rgb, _ = load_rgb(_save(tmp_path, Image.fromarray(grey), "g.png"))
    assert rgb.shape == (3, 4, 3)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], grey)


def test_sixteen_bit_greyscale_keeps_its_precision(tmp_path: Path) -> None:
    grey = np.array([[0, 1, 257], [1000, 40000, 65535]], dtype=np.uint16)
    rgb, max_value = load_rgb(_save(tmp_path, Image.fromarray(grey), "g16.png"))
    assert max_value == 65535
    assert rgb.dtype == np.uint16
    np.testing.assert_array_equal(rgb[..., 1], grey)


def test_transparent_pixels_are_composited_over_the_background(tmp_path: Path) -> None:
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = [200, 0, 0, 255]  # opaque red stays red
    rgba[0, 1] = [0, 0, 0, 0]  # fully transparent becomes the background
    rgba[0, 2] = [0, 0, 255, 128]  # half-transparent blue is blended
    path = _save(tmp_path, Image.fromarray(rgba), "t.png")
    rgb, _ = load_rgb(path, background="#00ff00")
    np.testing.assert_array_equal(rgb[0, 0], [200, 0, 0])
    np.testing.assert_array_equal(rgb[0, 1], [0, 255, 0])
    # alpha 128/255 of blue over green, computed independently
    blend = np.round(np.array([0, 255, 0]) * (1 - 128 / 255) + np.array([0, 0, 255]) * 128 / 255)
    np.testing.assert_allclose(rgb[0, 2], blend, atol=1)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pixels = np.zeros((2, 4, 3), dtype=np.uint8)
    pixels[0, 0] = [255, 255, 255]
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display upright"
    path = _save(tmp_path, Image.fromarray(pixels), "o.jpg", exif=exif, quality=100)
    rgb, _ = load_rgb(path)
    assert rgb.shape[:2] == (4, 2)
    assert rgb[0, 1].min() > 200  # the white corner moved to the top right


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not an image.png"
    path.write_text("hello")
    with pytest.raises(ImageError, match=re.escape("not an image.png")):
        load_rgb(path)


def test_parse_colour() -> None:
    assert parse_colour("#ff8000") == (255, 128, 0)


@pytest.mark.parametrize(("k", "bits"), [(2, 1), (4, 2), (5, 4), (16, 4), (17, 8), (256, 8)])
def test_indexed_png_uses_the_fewest_index_bits(k: int, bits: int) -> None:
    rng = np.random.default_rng(k)
    palette = rng.integers(0, 256, (k, 3), dtype=np.uint8)
    labels = rng.integers(0, k, (9, 11))
    data = encode_png(labels, palette)
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "P"
    # IHDR: 8-byte signature, 4 length, 4 type, 4 width, 4 height, then the bit depth byte
    assert data[24] == bits
    np.testing.assert_array_equal(decode_png(data), palette[labels])


def test_more_than_256_colours_are_written_as_rgb() -> None:
    palette = np.random.default_rng(0).integers(0, 256, (300, 3), dtype=np.uint8)
    labels = np.arange(300).reshape(15, 20)
    data = encode_png(labels, palette)
    np.testing.assert_array_equal(decode_png(data), palette[labels])
