"""Reading any image Pillow opens as an RGB array, and writing the quantized image as PNG."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import numpy as np
import png
from PIL import Image, ImageOps

from kmquant.errors import InputError

log = logging.getLogger(__name__)

#: PNG palettes hold at most this many colours; a larger K is written as an RGB PNG.
MAX_PALETTE = 256
#: Difference images multiply each channel's difference by this.
AMPLIFY = 8
_SIXTEEN_BIT_GREY = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


class ImageError(InputError, ValueError):
    """An input file that cannot be used as an image; the message names the file."""


def parse_colour(text: str) -> tuple[int, int, int]:
    """'#rrggbb' to an 8-bit RGB triple."""
    value = text.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def load_rgb(path: str | Path, background: str = "#ffffff") -> tuple[np.ndarray, int]:
    """Return (H x W x 3 integer array, max value) of the upright image at `path`.

    8-bit images give uint8 with max 255; 16-bit PNGs keep their precision as uint16 with
    max 65535. Transparent pixels are composited over `background`. A file that is not a
    whole image, or one above Pillow's decompression-bomb limit, raises ImageError.
    """
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                frames: int = getattr(im, "n_frames", 1)  # only multi-frame formats have it
                if frames > 1:
                    log.warning("%s has %d frames; using the first", path, frames)
                    im.seek(0)
                if im.format == "PNG" and _png_bit_depth(path) == 16:
                    orientation = im.getexif().get(_ORIENTATION, 1)
                    rgb = _sixteen_bit_png(path, background)
                    return _orient(rgb, orientation), 65535
                im.load()
                return _to_rgb(ImageOps.exif_transpose(im), path, background)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageError(f"{path}: refused, too many pixels for a safe decode ({error})") from error
    except (OSError, SyntaxError, ValueError, png.Error) as error:
        raise ImageError(f"{path}: not a readable image ({error})") from error


_ORIENTATION = 0x0112


def _png_bit_depth(path: str | Path) -> int:
    """The bit depth byte of a PNG's IHDR chunk (8 signature + 8 chunk header + 8 size)."""
    with open(path, "rb") as handle:
        header = handle.read(25)
    return header[24] if len(header) == 25 else 0


def _sixteen_bit_png(path: str | Path, background: str) -> np.ndarray:
    """A 16-bit PNG at full precision (Pillow reads 16-bit RGB as 8-bit), as uint16 RGB."""
    width, height, rows, info = png.Reader(filename=str(path)).asDirect()
    planes = info["planes"]
    data = np.vstack([np.asarray(row, dtype=np.float64) for row in rows])
    data = data.reshape(height, width, planes)
    colour, alpha = (data[..., :-1], data[..., -1:]) if info["alpha"] else (data, None)
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    if alpha is not None:
        n_transparent = int((alpha < 65535).sum())
        if n_transparent:
            log.warning(
                "%s: %d pixels are (partly) transparent; composited over %s",
                path,
                n_transparent,
                background,
            )
        base = np.array(parse_colour(background), dtype=np.float64) * 257
        colour = colour * (alpha / 65535) + base * (1 - alpha / 65535)
    return np.round(colour).astype(np.uint16)


def _orient(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1 to 8) to an H x W x 3 array, as exif_transpose does."""
    turns = {3: 2, 6: 3, 8: 1, 5: 1, 7: 3}.get(orientation, 0)
    flipped = np.fliplr(rgb) if orientation in (2, 5, 7) else rgb
    flipped = np.flipud(flipped) if orientation == 4 else flipped
    return np.ascontiguousarray(np.rot90(flipped, k=turns))


def _to_rgb(im: Image.Image, path: str | Path, background: str) -> tuple[np.ndarray, int]:
    if im.mode in _SIXTEEN_BIT_GREY:
        grey = np.clip(np.asarray(im, dtype=np.int64), 0, 65535).astype(np.uint16)
        return np.repeat(grey[..., None], 3, axis=2), 65535
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if not has_alpha:
        return np.asarray(im.convert("RGB"), dtype=np.uint8), 255
    rgba = im.convert("RGBA")
    n_transparent = int((np.asarray(rgba)[..., 3] < 255).sum())
    if n_transparent:
        log.warning(
            "%s: %d pixels are (partly) transparent; composited over %s",
            path,
            n_transparent,
            background,
        )
    base = Image.new("RGBA", rgba.size, (*parse_colour(background), 255))
    return np.asarray(Image.alpha_composite(base, rgba).convert("RGB"), dtype=np.uint8), 255


def encode_png(
    labels: np.ndarray, palette8: np.ndarray, compress_level: int | None = None
) -> bytes:
    """The quantized image as PNG bytes: indexed (mode P) when the palette allows it.

    `labels` is H x W; `palette8` is K x 3 uint8. Pillow picks 1, 2, 4 or 8 bits per index
    from the palette length. The smallest file Pillow writes (the study's: file size is one of
    its results) unless `compress_level` (zlib, 0 to 9) trades size for time.
    """
    buffer = io.BytesIO()
    if len(palette8) <= MAX_PALETTE:
        image = Image.fromarray(labels.astype(np.uint8))
        image.putpalette(palette8.astype(np.uint8).ravel().tolist())
    else:
        image = Image.fromarray(palette8[labels].astype(np.uint8))
    packing = {"optimize": True} if compress_level is None else {"compress_level": compress_level}
    image.save(buffer, format="PNG", **packing)
    return buffer.getvalue()


def encode_original_png(rgb: np.ndarray, max_value: int) -> bytes:
    """The original as an optimized RGB PNG: the baseline for real file sizes.

    Pillow writes no 48-bit RGB PNG, so a 16-bit original is written at 8 bits.
    """
    buffer = io.BytesIO()
    Image.fromarray(eight_bit(rgb, max_value)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def eight_bit(rgb: np.ndarray, max_value: int) -> np.ndarray:
    """The image at 8 bits per channel (rounded from 16 bits), as tools that take 8-bit RGB
    see it."""
    if max_value == 255:
        return rgb.astype(np.uint8)
    return np.round(rgb.astype(np.float64) * 255 / max_value).astype(np.uint8)


def amplified_difference(a: np.ndarray, b: np.ndarray, amplify: int = AMPLIFY) -> np.ndarray:
    """|a - b| per channel times `amplify`, clipped to 8 bits: black where two images agree,
    and a difference of 32 levels in a channel already at full brightness."""
    raw = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return np.clip(raw * amplify, 0, 255).astype(np.uint8)


def decode_png(data: bytes) -> np.ndarray:
    """The RGB pixels a PNG shows (for comparing output images)."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))
