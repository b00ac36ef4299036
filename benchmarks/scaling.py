"""Scaling with image size: seconds and peak memory per megapixel of every step of one
compression (load, fit on the sample in each language, label every pixel, write the PNGs),
at 3, 12 and 48 megapixels and K = 64. Prints ratios measured in this one run.

    python benchmarks/scaling.py [--megapixels 3 12 48] [--k 64]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

from common import camera_photo, kmquant, measure
from kmquant.runs import Run, dump


def steps(photo: Path, work: Path, k: int) -> dict[str, list[str]]:
    px = work / "pixels.npz"
    commands = {"load": kmquant("pixels", str(photo), str(px), "--fit-max-pixels", "300000")}
    for impl in ("python", "r"):
        fit = work / "fits" / impl / f"k{k}_s0.npz"
        runs = dump([Run(k, "native", 0, str(fit))])
        commands[f"fit+label {impl}"] = kmquant(
            "fit", str(px), "--runs", runs, "--impl", impl, "--image", "photo", "--max-iter", "300"
        )
        commands[f"png {impl}"] = kmquant(
            "images",
            str(px),
            "--out",
            f"{impl}/native={work / 'png' / impl}",
            "--fits",
            str(fit),
        )
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, nargs="+", default=[3, 12, 48])
    parser.add_argument("--k", type=int, default=64)
    args = parser.parse_args()
    seconds: dict[float, dict[str, float]] = {}
    print(f"{'MP':>5} {'step':<16} {'s':>7} {'s/MP':>6} {'peak MB':>8} {'bytes/pixel':>11}")
    with tempfile.TemporaryDirectory() as folder:
        for mp in args.megapixels:
            work = Path(folder) / f"{mp}mp"
            work.mkdir()
            photo = camera_photo(mp, work / "photo.jpg")
            seconds[mp] = {}
            for step, command in steps(photo, work, args.k).items():
                m = measure(command)
                seconds[mp][step] = m.seconds
                print(
                    f"{mp:5g} {step:<16} {m.seconds:7.1f} {m.seconds / mp:6.2f} "
                    f"{m.peak_mb:8.0f} {m.peak_mb * 2**20 / (mp * 1e6):11.1f}"
                )
    sizes = sorted(seconds)
    for small, large in itertools.pairwise(sizes):
        for step in seconds[small]:
            ratio = seconds[large][step] / seconds[small][step]
            print(
                f"time ratio {large:g} MP / {small:g} MP, {step}: {ratio:.2f} "
                f"(pixels x {large / small:g})"
            )


if __name__ == "__main__":
    main()
