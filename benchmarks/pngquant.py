"""Our compression of a 12-megapixel photo at K = 256 (`kmquant compress`: load, fit on the
sample, label every pixel, write the indexed PNG), per implementation and colour space, against
`pngquant --nofs 256` on the same image: time ratio, PSNR and mean CIEDE2000 differences, and
file sizes. Prints ratios measured in this one run.

    python benchmarks/pngquant.py [--megapixels 12] [--k 256] [--fit-max-pixels 300000 100000]
                                  [--impl python faiss ...] [--compress-level smallest 6 3]
                                  [--space rgb oklab ...]
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
from kmquant.colour import ciede2000, srgb_to_lab
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.pixels import group, pack
from kmquant.spaces import RGB, SPACES


def quality(original: Path, compressed: Path) -> tuple[float, float]:
    """PSNR and mean CIEDE2000 (the study's: scikit-image's CIELAB) of a written image against
    the original, both decoded to 8-bit RGB; CIEDE2000 once per distinct pair of an original
    colour and the colour shown for it, weighted by its pixels."""
    with Image.open(original) as a, Image.open(compressed) as b:
        x = np.asarray(a.convert("RGB")).reshape(-1, 3)
        y = np.asarray(b.convert("RGB")).reshape(-1, 3)
    psnr = metrics.psnr_db(float(np.mean((x.astype(np.float64) - y) ** 2)))
    pairs = pack(x, 255).astype(np.int64) << 24 | pack(y, 255)
    first, _, counts = group(pairs)
    lab = [srgb_to_lab(colours[first] / 255) for colours in (x, y)]
    return psnr, float(np.average(ciede2000(*lab), weights=counts))


#: The PNG the study writes (the smallest), not a zlib level.
SMALLEST = "smallest"


def ours(photo: Path, png: Path, impl: str, k: int, sample: int, level: str, space: str) -> float:
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
        "--space",
        space,
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
    parser.add_argument("--space", nargs="+", choices=list(SPACES), default=[RGB])
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
        baseline_psnr, baseline_de = quality(photo, quant)
        print(f"{args.megapixels:g} MP, K = {args.k}")
        print(
            f"pngquant --nofs {args.k}: {baseline:.1f} s, PSNR {baseline_psnr:.2f} dB, "
            f"mean CIEDE2000 {baseline_de:.3f}, {quant.stat().st_size / 1e6:.2f} MB"
        )
        runs = itertools.product(args.impl, args.space, args.fit_max_pixels, args.compress_level)
        for impl, space, sample, level in runs:
            png = work / f"{impl}_{space}_{sample}_{level}.png"
            seconds = ours(photo, png, impl, args.k, sample, level, space)
            psnr, de = quality(photo, png)
            size = png.stat().st_size / 1e6
            print(
                f"{impl} in {space}, fit sample {sample}, PNG {level}: {seconds:.1f} s, "
                f"PSNR {psnr:.2f} dB, mean CIEDE2000 {de:.3f}, {size:.2f} MB; time ratio to "
                f"pngquant {seconds / baseline:.2f}, PSNR difference {psnr - baseline_psnr:+.2f} "
                f"dB, CIEDE2000 difference {de - baseline_de:+.3f}"
            )


if __name__ == "__main__":
    main()
