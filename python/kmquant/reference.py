"""The registry of the reference quantizers, the quantizers people use, run on the same loaded
pixels as our fits: for each its name, how the study labels it, where its version is read, the
palette sizes it takes, whether it is deterministic, its line in the figures and the function
that runs it, all without dithering. Each writes an indexed PNG of at most K colours; `record`
scores that PNG, decoded, by the same function as our fits.

Every part of the study that names a reference quantizer (the workflow, the CLI, figures, the
report, the environment and the explorer) reads it from here.
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
from typing import Any, TypedDict

import numpy as np
from PIL import Image

from kmquant.atomic import atomic_path, write_text
from kmquant.images import decode_png, eight_bit, encode_png
from kmquant.paths import reference_name
from kmquant.pixels import Pixels, distinct_colours
from kmquant.scoring import score_image


@dataclass
class Quantized:
    """A tool's answer: the PNG it wrote (None when it failed), why it failed, its version
    and the seconds it took."""

    png: bytes | None
    version: str
    error: str = ""
    seconds: float = 0.0


class ToolError(Exception):
    """A tool that ran and failed (a command's exit status, say), after `seconds`."""

    def __init__(self, message: str, seconds: float = 0.0) -> None:
        super().__init__(message)
        self.seconds = seconds


class LineStyle(TypedDict):
    """Keyword arguments of matplotlib's Axes.plot that draw one quantizer's line."""

    color: str
    linestyle: str
    marker: str


#: A quantizer's function: 8-bit RGB pixels and K (within its range) to the indexed PNG it
#: wrote and the seconds it took; it raises ToolError (or anything else) where it fails.
Run = Callable[[np.ndarray, int], tuple[bytes, float]]


@dataclass(frozen=True)
class Quantizer:
    #: Its name in the config, paths, tables and figure legends.
    name: str
    #: How the report and the explorer name it, in a sentence.
    label: str
    #: Where its version is read: "pip:<Python distribution>" (the installed package's
    #: version) or "command:<program>" (what `<program> --version` prints; the program on
    #: PATH, or the one the environment variable KMQUANT_<PROGRAM> names). Its version is
    #: "<distribution or program> <version>", as reference.csv records it.
    version_of: str
    #: The function that runs it (see Run).
    run: Run
    #: The palette sizes it takes: a K outside them gives a row that says so.
    min_k: int
    max_k: int
    #: Whether the same pixels and K always give the same PNG (the test suite checks it);
    #: only a deterministic tool's PNGs and records are in the manifest.
    deterministic: bool
    #: Its line in every figure: black or a grey, its own line style and marker.
    colour: str
    linestyle: str
    marker: str

    @property
    def style(self) -> LineStyle:
        return {"color": self.colour, "linestyle": self.linestyle, "marker": self.marker}

    def version(self) -> str | None:
        """Its version as reference.csv records it, or None where it is not installed."""
        where, package = self.version_of.split(":", 1)
        if where == "command":
            found = command_version(package)
        else:
            try:
                found = metadata.version(package)
            except metadata.PackageNotFoundError:
                found = None
        return None if found is None else f"{package} {found}"

    def missing(self) -> str:
        """Why it cannot run where it is not installed."""
        where, package = self.version_of.split(":", 1)
        if where == "command":
            return f"{package}: no binary '{binary(package)}' found"
        return f"{self.name}: the Python package {package} is not installed"


def binary_variable(program: str) -> str:
    """The environment variable that names the binary of `program` (default: on PATH)."""
    return f"KMQUANT_{program.upper()}"


def binary(program: str) -> str:
    return os.environ.get(binary_variable(program), program)


def command_version(program: str) -> str | None:
    """`program --version`, or None where the binary is missing."""
    found = shutil.which(binary(program))
    if found is None:
        return None
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def _pngquant(rgb: np.ndarray, k: int) -> tuple[bytes, float]:
    """`pngquant --nofs --strip K` at its default speed, on the image written as an RGB PNG."""
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.png", Path(folder) / "out.png"
        Image.fromarray(rgb).save(source, compress_level=1)
        command = [
            shutil.which(binary("pngquant")) or "pngquant",
            "--nofs",
            "--strip",
            "--force",
            "--output",
            str(out),
            str(k),
            "--",
            str(source),
        ]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise ToolError(f"pngquant exited {done.returncode}: {done.stderr.strip()}", seconds)
        return out.read_bytes(), seconds


def _as_png(image: Image.Image) -> bytes:
    """Pillow's palette image, written by the encoder our fits use."""
    indices = np.asarray(image)
    palette = np.asarray(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    return encode_png(indices, palette[: int(indices.max()) + 1])


def _libimagequant(rgb: np.ndarray, k: int) -> tuple[bytes, float]:
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
    return encode_png(labels, colours[: int(labels.max()) + 1]), seconds


def _pillow(method: Image.Quantize) -> Run:
    def quantize(rgb: np.ndarray, k: int) -> tuple[bytes, float]:
        start = time.perf_counter()
        image = Image.fromarray(rgb).quantize(colors=k, method=method, dither=Image.Dither.NONE)
        seconds = time.perf_counter() - start
        return _as_png(image), seconds

    return quantize


#: Every reference quantizer by the name the config uses, in the order of the config's
#: default, the figures' legends, the tables and the explorer's menu.
QUANTIZERS: dict[str, Quantizer] = {
    entry.name: entry
    for entry in (
        Quantizer(
            name="pngquant",
            label="pngquant",
            version_of="command:pngquant",
            run=_pngquant,
            min_k=2,
            max_k=256,
            deterministic=True,
            colour="black",
            linestyle="-",
            marker="s",
        ),
        Quantizer(
            name="libimagequant",
            label="libimagequant",
            version_of="pip:imagequant",
            run=_libimagequant,
            min_k=2,
            max_k=256,
            deterministic=True,
            colour="black",
            linestyle="--",
            marker="^",
        ),
        Quantizer(
            name="pillow_mediancut",
            label="Pillow's median cut",
            version_of="pip:Pillow",
            run=_pillow(Image.Quantize.MEDIANCUT),
            min_k=1,
            max_k=256,
            deterministic=True,
            colour="0.45",
            linestyle="-.",
            marker="v",
        ),
        Quantizer(
            name="pillow_maxcoverage",
            label="Pillow's maximum coverage",
            version_of="pip:Pillow",
            run=_pillow(Image.Quantize.MAXCOVERAGE),
            min_k=1,
            max_k=256,
            deterministic=True,
            colour="0.45",
            linestyle=":",
            marker="D",
        ),
        Quantizer(
            name="pillow_fastoctree",
            label="Pillow's fast octree",
            version_of="pip:Pillow",
            run=_pillow(Image.Quantize.FASTOCTREE),
            min_k=1,
            max_k=256,
            deterministic=True,
            colour="0.6",
            linestyle="--",
            marker="P",
        ),
    )
}


def ordered(methods: Sequence[str]) -> list[str]:
    """The distinct reference quantizers among `methods`, in the registry's order."""
    given = set(methods)
    return [name for name in QUANTIZERS if name in given]


def versions() -> dict[str, str | None]:
    """Each reference quantizer's version, read where the registry says; None where it is
    not installed."""
    return {name: entry.version() for name, entry in QUANTIZERS.items()}


def quantize(method: str, rgb: np.ndarray, k: int) -> Quantized:
    """Run one quantizer on 8-bit RGB pixels; a tool that is missing or fails, or a K outside
    its range, gives its error, never raises."""
    entry = QUANTIZERS[method]
    try:
        version = entry.version()
        if version is None:
            return Quantized(None, "", entry.missing())
        if not entry.min_k <= k <= entry.max_k:
            message = f"{entry.label} takes {entry.min_k} to {entry.max_k} colours, not {k}"
            return Quantized(None, version, message)
        try:
            png, seconds = entry.run(rgb, k)
        except ToolError as error:
            return Quantized(None, version, str(error), error.seconds)
        return Quantized(png, version, "", seconds)
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
    pixels: Pixels,
    method: str,
    image: str,
    ks: Sequence[int],
    out: str | Path,
    seconds: str | Path,
) -> None:
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
            times.append(
                {"image": image, "method": method, "k_requested": k, "fit_seconds": result.seconds}
            )
    write_text(seconds, json.dumps(times, indent=1) + "\n")
