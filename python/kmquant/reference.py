"""The quantizers people use, run on the same loaded pixels as our fits: pngquant (the
command-line tool), libimagequant (its library, through the `imagequant` binding) and Pillow's
median cut, maximum coverage and fast octree, all without dithering. Each writes an indexed PNG
of at most K colours; `record` scores that PNG, decoded, by the same function as our fits.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from kmquant.atomic import atomic_path, write_text
from kmquant.images import decode_png, eight_bit, encode_png
from kmquant.paths import reference_name
from kmquant.pixels import Pixels, distinct_colours
from kmquant.scoring import score_image

#: The environment variable naming the pngquant binary (default: `pngquant` on PATH).
PNGQUANT_VARIABLE = "KMQUANT_PNGQUANT"


@dataclass
class Quantized:
    """A tool's answer: the PNG it wrote (None when it failed), why it failed, its version
    and the seconds it took."""

    png: bytes | None
    version: str
    error: str = ""
    seconds: float = 0.0


def _pngquant_binary() -> str:
    return os.environ.get(PNGQUANT_VARIABLE, "pngquant")


def pngquant_version() -> str | None:
    """`pngquant --version`, or None where the binary is missing."""
    binary = shutil.which(_pngquant_binary())
    if binary is None:
        return None
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def _pngquant(rgb: np.ndarray, k: int) -> Quantized:
    """`pngquant --nofs --strip K` at its default speed, on the image written as an RGB PNG."""
    version = pngquant_version()
    if version is None:
        return Quantized(None, "", f"pngquant: no binary '{_pngquant_binary()}' found")
    if not 2 <= k <= 256:
        return Quantized(None, f"pngquant {version}", f"pngquant takes 2 to 256 colours, not {k}")
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.png", Path(folder) / "out.png"
        Image.fromarray(rgb).save(source, compress_level=1)
        command = [shutil.which(_pngquant_binary()) or "pngquant", "--nofs", "--strip",
                   "--force", "--output", str(out), str(k), "--", str(source)]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            message = f"pngquant exited {done.returncode}: {done.stderr.strip()}"
            return Quantized(None, f"pngquant {version}", message, seconds)
        return Quantized(out.read_bytes(), f"pngquant {version}", "", seconds)


def _as_png(image: Image.Image) -> bytes:
    """Pillow's palette image, written by the encoder our fits use."""
    indices = np.asarray(image)
    palette = np.asarray(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    return encode_png(indices, palette[: int(indices.max()) + 1])


def _libimagequant(rgb: np.ndarray, k: int) -> Quantized:
    version = f"imagequant {metadata.version('imagequant')}"
    if not 2 <= k <= 256:
        return Quantized(None, version, f"libimagequant takes 2 to 256 colours, not {k}")
    import imagequant

    height, width = rgb.shape[:2]
    # The binding's own Pillow entry point copies the image pixel by pixel in Python: give it
    # the RGBA bytes directly.
    rgba = np.dstack([rgb, np.full((height, width), 255, np.uint8)]).tobytes()
    start = time.perf_counter()
    indices, palette = imagequant.quantize_raw_rgba_bytes(
        rgba, width, height, dithering_level=0.0, max_colors=k
    )
    seconds = time.perf_counter() - start
    labels = np.frombuffer(indices, dtype=np.uint8).reshape(height, width)
    colours = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)[:, :3]
    return Quantized(encode_png(labels, colours[: int(labels.max()) + 1]), version, "", seconds)


def _pillow(method: Image.Quantize) -> Callable[[np.ndarray, int], Quantized]:
    def quantize(rgb: np.ndarray, k: int) -> Quantized:
        version = f"Pillow {metadata.version('pillow')}"
        if not 1 <= k <= 256:
            return Quantized(None, version, f"Pillow quantizes to 1 to 256 colours, not {k}")
        start = time.perf_counter()
        image = Image.fromarray(rgb).quantize(colors=k, method=method, dither=Image.Dither.NONE)
        seconds = time.perf_counter() - start
        return Quantized(_as_png(image), version, "", seconds)

    return quantize


#: Every reference quantizer by the name the config uses.
QUANTIZERS: dict[str, Callable[[np.ndarray, int], Quantized]] = {
    "pngquant": _pngquant,
    "libimagequant": _libimagequant,
    "pillow_mediancut": _pillow(Image.Quantize.MEDIANCUT),
    "pillow_maxcoverage": _pillow(Image.Quantize.MAXCOVERAGE),
    "pillow_fastoctree": _pillow(Image.Quantize.FASTOCTREE),
}


def quantize(method: str, rgb: np.ndarray, k: int) -> Quantized:
    """Run one quantizer on 8-bit RGB pixels; a tool that fails gives its error, never raises."""
    try:
        return QUANTIZERS[method](rgb, k)
    except Exception as error:  # one failing tool must not stop the study
        return Quantized(None, "", f"{method}: {type(error).__name__}: {error}")


def record(method: str, k: int, result: Quantized, pixels: Pixels, image: str) -> dict[str, Any]:
    """The scored record of one reference output, from the PNG it wrote (decoded); its time
    is kept apart, so that the record is the same on every run."""
    meta: dict[str, Any] = {
        "image": image,
        "method": method,
        "version": result.version,
        "k_requested": k,
        "status": "error" if result.png is None else "ok",
        "message": result.error,
    }
    if result.png is None:
        return meta
    shown = decode_png(result.png)
    if shown.shape[:2] != pixels.shape:
        message = f"{method} wrote a {shown.shape[1]} x {shown.shape[0]} image"
        return meta | {"status": "error", "message": message}
    # The colours the PNG shows are its palette, every pixel labelled with its own colour.
    palette, labels, _ = distinct_colours(shown.reshape(-1, 3), 255)
    metrics = score_image(pixels, palette / 255.0, labels)
    return meta | metrics | {"n_colours": len(palette), "indexed_png_bytes": len(result.png)}


def write_outputs(
    pixels: Pixels, method: str, image: str, ks: Sequence[int], out: str | Path,
    seconds: str | Path,
) -> None:  # fmt: skip
    """Into the folder `out`: `method`'s PNG and scored record at every K of `ks`; into the
    timing file `seconds`, the tool's own seconds per K."""
    rgb = eight_bit(pixels.rgb, pixels.max_value)
    times = []
    with atomic_path(out, directory=True) as folder:
        for k in ks:
            result = quantize(method, rgb, k)
            name = reference_name(k)
            if result.png is not None:
                (folder / f"{name}.png").write_bytes(result.png)
            meta = record(method, k, result, pixels, image)
            logging.info("%s", json.dumps(meta, sort_keys=True))
            (folder / f"{name}.json").write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n")
            times.append({"image": image, "method": method, "k_requested": k,
                          "fit_seconds": result.seconds})  # fmt: skip
    write_text(seconds, json.dumps(times, indent=1) + "\n")
