"""What the benchmark scripts share: camera-sized test photos and one measured subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def camera_photo(megapixels: float, path: Path) -> Path:
    """data/china.jpg enlarged to `megapixels` at 4:3, with mild sensor-like noise so that it
    has the millions of distinct colours of a real camera photo; saved as a quality-95 JPEG."""
    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    with Image.open(ROOT / "data" / "china.jpg") as im:
        big = np.asarray(im.convert("RGB").resize((width, height), Image.Resampling.BICUBIC))
    noise = np.random.default_rng(0).integers(-3, 4, big.shape, dtype=np.int16)
    noisy = np.clip(big.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(path, quality=95)
    return path


@dataclass
class Measured:
    seconds: float
    peak_mb: float


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Wall seconds and peak resident memory of one command, from the kernel's own accounting."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise SystemExit(f"failed: {' '.join(command)}\n{log.read().decode()}")
    return Measured(seconds, usage.ru_maxrss / 1024)


def kmquant(*args: str) -> list[str]:
    return [sys.executable, "-m", "kmquant", *args]
