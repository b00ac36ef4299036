"""Our compression of a 12-megapixel photo at K = 256 (load, fit on the sample, label every
pixel, write the indexed PNG), per language, against `pngquant --nofs 256` on the same image:
time ratio and PSNR difference. Prints ratios measured in this one run.

    python benchmarks/pngquant.py [--megapixels 12] [--k 256]
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from common import camera_photo, kmquant, measure


def psnr_db(original: Path, compressed: Path) -> float:
    """PSNR of a written image against the original, both decoded to 8-bit RGB."""
    with Image.open(original) as a, Image.open(compressed) as b:
        x = np.asarray(a.convert("RGB"), dtype=np.float64)
        y = np.asarray(b.convert("RGB"), dtype=np.float64)
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def ours(photo: Path, work: Path, impl: str, k: int) -> tuple[float, Path]:
    """Seconds of the three steps of one compression, and the PNG written."""
    px, fit, out = work / "pixels.npz", work / impl / f"k{k}_s0.npz", work / f"png_{impl}"
    steps = [
        kmquant("pixels", str(photo), str(px), "--fit-max-pixels", "300000"),
        kmquant("fit", str(px), str(fit), "--impl", impl, "--mode", "native", "--image",
                "photo", "--k", str(k), "--seed", "0", "--max-iter", "300"),
        kmquant("images", str(px), str(out), str(fit)),
    ]  # fmt: skip
    return sum(measure(step).seconds for step in steps), out / f"k{k}_s0.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, default=12)
    parser.add_argument("--k", type=int, default=256)
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
        print(f"pngquant --nofs {args.k}: {baseline:.1f} s, PSNR {baseline_psnr:.2f} dB")
        for impl in ("python", "r"):
            seconds, png = ours(photo, work / impl, impl, args.k)
            psnr = psnr_db(photo, png)
            ratio, gain = seconds / baseline, psnr - baseline_psnr
            print(f"{impl}: {seconds:.1f} s, PSNR {psnr:.2f} dB; time ratio to pngquant "
                  f"{ratio:.2f}, PSNR difference {gain:+.2f} dB")  # fmt: skip


if __name__ == "__main__":
    main()
