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

from PIL import Image

from common import camera_photo, kmquant, measure
from kmquant.images import decode_png
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.pixels import Pixels, distinct_colours, prepare
from kmquant.scoring import METRICS, Shown
from kmquant.spaces import RGB, SPACES


def quality(original: Pixels, compressed: Path) -> tuple[float, float]:
    """PSNR and mean CIEDE2000 of a written image against the original, scored by the study's
    metrics (kmquant.scoring) as it scores a quantizer's PNG: the colours the PNG shows are its
    palette, each pixel labelled with its own."""
    palette, labels, _ = distinct_colours(decode_png(compressed.read_bytes()).reshape(-1, 3), 255)
    shown = Shown(original, palette, labels)
    return METRICS["psnr_db"].compute(shown), METRICS["mean_ciede2000"].compute(shown)


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
        original = prepare(photo, 1, 0, "#ffffff")  # its colours converted to CIELAB once
        baseline_psnr, baseline_de = quality(original, quant)
        print(f"{args.megapixels:g} MP, K = {args.k}")
        print(
            f"pngquant --nofs {args.k}: {baseline:.1f} s, PSNR {baseline_psnr:.2f} dB, "
            f"mean CIEDE2000 {baseline_de:.3f}, {quant.stat().st_size / 1e6:.2f} MB"
        )
        runs = itertools.product(args.impl, args.space, args.fit_max_pixels, args.compress_level)
        for impl, space, sample, level in runs:
            png = work / f"{impl}_{space}_{sample}_{level}.png"
            seconds = ours(photo, png, impl, args.k, sample, level, space)
            psnr, de = quality(original, png)
            size = png.stat().st_size / 1e6
            print(
                f"{impl} in {space}, fit sample {sample}, PNG {level}: {seconds:.1f} s, "
                f"PSNR {psnr:.2f} dB, mean CIEDE2000 {de:.3f}, {size:.2f} MB; time ratio to "
                f"pngquant {seconds / baseline:.2f}, PSNR difference {psnr - baseline_psnr:+.2f} "
                f"dB, CIEDE2000 difference {de - baseline_de:+.3f}"
            )


if __name__ == "__main__":
    main()
