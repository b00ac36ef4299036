"""Every kind of input image of the robustness table, built by code at test time."""

from __future__ import annotations

import io
import logging
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import png
import pytest
from PIL import Image

from kmquant.images import ImageError, _orient, load_rgb

RNG = np.random.default_rng(3)
RGB = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def _save(image: Image.Image, path: Path, **kwargs: object) -> Path:
    image.save(path, **kwargs)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_greyscale_png_and_jpeg_become_rgb(tmp_path: Path, suffix: str) -> None:
    grey = RGB[..., 0]
    rgb, max_value = load_rgb(_save(Image.fromarray(grey), tmp_path / f"g{suffix}", quality=100))
    assert (rgb.shape, max_value) == ((6, 8, 3), 255)
    assert np.array_equal(rgb[..., 0], rgb[..., 2])
    assert np.abs(rgb[..., 0].astype(int) - grey).max() <= (0 if suffix == ".png" else 3)


def test_greyscale_with_alpha_is_composited(tmp_path: Path) -> None:
    la = np.stack([np.full((2, 2), 100, np.uint8), np.array([[255, 0], [255, 0]], np.uint8)], -1)
    rgb, _ = load_rgb(_save(Image.fromarray(la, mode="LA"), tmp_path / "la.png"), "#000000")
    assert rgb[0, 0].tolist() == [100, 100, 100]
    assert rgb[0, 1].tolist() == [0, 0, 0]


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_png_with_and_without_transparency(tmp_path: Path, transparent: bool) -> None:
    palette = [255, 0, 0, 0, 255, 0, 0, 0, 255]
    image = Image.fromarray(np.array([[0, 1, 2]], np.uint8), mode="L").convert("P")
    image.putpalette(palette)
    kwargs = {"transparency": 1} if transparent else {}
    rgb, _ = load_rgb(_save(image, tmp_path / "p.png", **kwargs), "#ffffff")
    middle = [255, 255, 255] if transparent else [0, 255, 0]
    assert rgb[0].tolist() == [[255, 0, 0], middle, [0, 0, 255]]


def test_transparency_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    with caplog.at_level(logging.WARNING):
        load_rgb(_save(Image.fromarray(rgba), tmp_path / "t.png"))
    assert "4 pixels are (partly) transparent" in caplog.text


def _png16(path: Path, data: np.ndarray, greyscale: bool, alpha: bool = False) -> Path:
    height, width = data.shape[:2]
    writer = png.Writer(width, height, greyscale=greyscale, alpha=alpha, bitdepth=16)
    with open(path, "wb") as handle:
        writer.write(handle, data.reshape(height, -1).tolist())
    return path


def test_sixteen_bit_rgb_png_keeps_full_precision(tmp_path: Path) -> None:
    data = RNG.integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    rgb, max_value = load_rgb(_png16(tmp_path / "rgb16.png", data, greyscale=False))
    assert max_value == 65535
    assert rgb.dtype == np.uint16
    np.testing.assert_array_equal(rgb, data)


def test_sixteen_bit_grey_png_keeps_full_precision(tmp_path: Path) -> None:
    data = RNG.integers(0, 65536, (5, 7)).astype(np.uint16)
    rgb, max_value = load_rgb(_png16(tmp_path / "g16.png", data, greyscale=True))
    assert max_value == 65535
    np.testing.assert_array_equal(rgb[..., 1], data)


def test_sixteen_bit_rgba_png_is_composited_at_sixteen_bits(tmp_path: Path) -> None:
    data = np.array([[[1000, 2000, 3000, 65535], [50000, 0, 0, 0]]], dtype=np.uint16)
    rgb, _ = load_rgb(_png16(tmp_path / "rgba16.png", data, False, alpha=True), "#ffffff")
    assert rgb.tolist() == [[[1000, 2000, 3000], [65535, 65535, 65535]]]


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # full magenta and yellow: red
    rgb, _ = load_rgb(_save(cmyk, tmp_path / "c.jpg", quality=100))
    assert rgb.shape == (4, 4, 3)
    assert rgb[0, 0, 0] > 240 and rgb[0, 0, 1] < 15 and rgb[0, 0, 2] < 15


_PILLOW_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(orientation: int) -> None:
    image = Image.fromarray(RGB)
    if orientation > 1:
        image = image.transpose(_PILLOW_ORIENTATIONS[orientation])
    np.testing.assert_array_equal(_orient(RGB, orientation), np.asarray(image))


def test_animated_gif_gives_its_first_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames = [Image.new("RGB", (3, 3), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "a.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with caplog.at_level(logging.WARNING):
        rgb, _ = load_rgb(path)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert "2 frames; using the first" in caplog.text


def test_multipage_tiff_gives_its_first_page(tmp_path: Path) -> None:
    pages = [Image.new("RGB", (3, 3), colour) for colour in ((0, 255, 0), (9, 9, 9))]
    path = tmp_path / "m.tiff"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    assert load_rgb(path)[0][0, 0].tolist() == [0, 255, 0]


def _truncated(tmp_path: Path, fmt: str) -> Path:
    buffer = io.BytesIO()
    Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buffer, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: (tmp / "empty.png", b""),
        lambda tmp: (tmp / "text.png", b"this is not an image\n"),
    ],
    ids=["zero-byte", "text named .png"],
)
def test_non_images_are_rejected_naming_the_file(tmp_path: Path, make) -> None:
    path, content = make(tmp_path)
    path.write_bytes(content)
    with pytest.raises(ImageError, match=re.escape(str(path))):
        load_rgb(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_rejected_naming_the_file(tmp_path: Path, fmt: str) -> None:
    path = _truncated(tmp_path, fmt)
    with pytest.raises(ImageError, match=re.escape(str(path))):
        load_rgb(path)


def test_decompression_bomb_is_refused_without_decoding(tmp_path: Path) -> None:
    """A 60 kB PNG claiming 20000 x 20000 pixels (above Pillow's 89.5 MP limit)."""
    width = height = 20_000
    row = b"\x00" + b"\x00" * width  # filter byte + one grey byte per pixel
    idat = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ImageError, match="too many pixels"):
        load_rgb(path)
