"""`kmquant compress`: one image to an indexed PNG of K colours, outside the workflow."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmquant.implementations import HEADLINE, IMPLEMENTATIONS


def compress(image: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kmquant", "compress", str(image), str(out), *options]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "impl",
    # The headline pair in the quick tier, every other implementation with the slow tests.
    [
        impl if impl in HEADLINE else pytest.param(impl, marks=pytest.mark.slow)
        for impl in IMPLEMENTATIONS
    ],
)
def test_compress_writes_the_native_png_the_study_writes(
    tiny_run: Path, tmp_path: Path, impl: str
) -> None:
    """The tiny study's settings (K 8, seed 0, 1000-pixel fit sample) and its one thread a fit
    (`--threads 1`, as the README says) give its very PNG."""
    out = tmp_path / "photo.png"
    options = ("--impl", impl, "--k", "8", "--seed", "0", "--fit-max-pixels", "1000")
    done = compress(tiny_run / "data" / "photo.png", out, *options, "--threads", "1")
    assert done.returncode == 0, done.stderr
    study = tiny_run / "results" / "images" / impl / "native" / "photo" / "k8_s0.png"
    assert out.read_bytes() == study.read_bytes()
    # The PSNR it reports is that of the written file against the original.
    with Image.open(out) as png, Image.open(tiny_run / "data" / "photo.png") as original:
        assert png.mode == "P" and len(png.getcolors()) <= 8
        x = np.asarray(original.convert("RGB"), dtype=np.float64)
        y = np.asarray(png.convert("RGB"), dtype=np.float64)
    psnr = 10 * math.log10(255**2 / np.mean((x - y) ** 2))
    reported = re.search(r"PSNR ([0-9.]+) dB", done.stderr)
    assert reported is not None and float(reported.group(1)) == pytest.approx(psnr, abs=0.005)


def test_a_faster_compress_level_writes_the_same_pixels_in_a_larger_file(
    tiny_run: Path, tmp_path: Path
) -> None:
    """--compress-level trades file size for time; the image stays the study's."""
    study = tiny_run / "results" / "images" / "python" / "native" / "photo" / "k8_s0.png"
    out = tmp_path / "fast.png"
    options = ("--k", "8", "--seed", "0", "--fit-max-pixels", "1000", "--threads", "1")
    done = compress(tiny_run / "data" / "photo.png", out, *options, "--compress-level", "0")
    assert done.returncode == 0, done.stderr
    with Image.open(out) as fast, Image.open(study) as smallest:
        assert fast.mode == smallest.mode == "P"
        np.testing.assert_array_equal(
            np.asarray(fast.convert("RGB")), np.asarray(smallest.convert("RGB"))
        )
    assert out.stat().st_size > study.stat().st_size  # level 0 stores the rows uncompressed
    refused = compress(tiny_run / "data" / "photo.png", out, "--compress-level", "10")
    assert refused.returncode == 2 and "--compress-level" in refused.stderr


def test_compress_refuses_a_palette_of_no_colours(tmp_path: Path) -> None:
    done = compress(tmp_path / "any.png", tmp_path / "out.png", "--k", "0")
    assert done.returncode == 2
    assert "argument --k: must be at least 1, not 0" in done.stderr


def test_compress_refuses_a_non_image_in_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    done = compress(bad, tmp_path / "out.png")
    assert done.returncode == 1
    assert "notes.png" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.png").exists()
