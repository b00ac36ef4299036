"""Our compression of a 12-megapixel photo at K = 256 (`kmquant compress`: load, fit on the
sample, label every pixel, write the indexed PNG), per implementation, against
`pngquant --nofs 256` on the same image: time ratio, PSNR difference and file sizes. Prints
ratios measured in this one run.

    python benchmarks/pngquant.py [--megapixels 12] [--k 256] [--fit-max-pixels 300000 100000]
                                  [--impl python faiss ...] [--compress-level smallest 6 3]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from common import camera_photo, kmquant, measure
from kmquant import metrics
from kmquant.implementations import IMPLEMENTATIONS


def psnr_db(original: Path, compressed: Path) -> float:
    """PSNR of a written image against the original, both decoded to 8-bit RGB."""
    with Image.open(original) as a, Image.open(compressed) as b:
        x = np.asarray(a.convert("RGB"), dtype=np.float64)
        y = np.asarray(b.convert("RGB"), dtype=np.float64)
    return metrics.psnr_db(float(np.mean((x - y) ** 2)))


#: The PNG the study writes (the smallest), not a zlib level.
SMALLEST = "smallest"


def ours(photo: Path, png: Path, impl: str, k: int, sample: int, level: str) -> float:
    """Seconds of one `kmquant compress`: load, fit on the sample, label every pixel, write."""
    command = kmquant(
        "compress",
        str(photo),
        str(png),
        "--impl",
        impl,
        "--k",
        str(k),
        "--fit-max-pixels",
        str(sample),
    )
    packing = [] if level == SMALLEST else ["--compress-level", level]
    return measure([*command, *packing]).seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, default=12)
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument(
        "--fit-max-pixels",
        type=int,
        nargs="+",
        default=[300_000, 100_000],
        help="fit sample sizes (300 000 is the study's default)",
    )
    names = list(IMPLEMENTATIONS)
    parser.add_argument("--impl", nargs="+", choices=names, default=names, help="(all)")
    parser.add_argument(
        "--compress-level",
        nargs="+",
        default=[SMALLEST],
        choices=[SMALLEST, *map(str, range(10))],
        help="the study's smallest PNG, or a zlib level",
    )
    args = parser.parse_args()
    if shutil.which("pngquant") is None:
        raise SystemExit("pngquant is missing: apt-get install pngquant")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        jpeg = camera_photo(args.megapixels, work / "photo.jpg")
        photo = work / "photo.png"  # pngquant reads PNG only; both tools get the same file
        Image.open(jpeg).save(photo)
        quant = work / "pngquant.png"
        command = ["pngquant", "--nofs", str(args.k), "--force", "--output", str(quant)]
        baseline = measure([*command, str(photo)]).seconds
        baseline_psnr = psnr_db(photo, quant)
        print(f"{args.megapixels:g} MP, K = {args.k}")
        print(
            f"pngquant --nofs {args.k}: {baseline:.1f} s, PSNR {baseline_psnr:.2f} dB, "
            f"{quant.stat().st_size / 1e6:.2f} MB"
        )
        runs = itertools.product(args.impl, args.fit_max_pixels, args.compress_level)
        for impl, sample, level in runs:
            png = work / f"{impl}_{sample}_{level}.png"
            seconds = ours(photo, png, impl, args.k, sample, level)
            psnr = psnr_db(photo, png)
            ratio, gain = seconds / baseline, psnr - baseline_psnr
            size = png.stat().st_size / 1e6
            print(
                f"{impl}, fit sample {sample}, PNG {level}: {seconds:.1f} s, PSNR {psnr:.2f} dB, "
                f"{size:.2f} MB; time ratio to pngquant {ratio:.2f}, "
                f"PSNR difference {gain:+.2f} dB"
            )


if __name__ == "__main__":
    main()
