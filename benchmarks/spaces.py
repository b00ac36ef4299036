"""K-means in each colour space against the quantizers people use, and the proof in each space,
on any images (by default the shipped photographs).

Per image and K: scikit-learn's native fit (k-means++ and Lloyd, seed 0, `kmquant compress`)
in each space of kmquant.spaces, and libimagequant and pngquant, each PNG scored by the study's
own code (mean CIEDE2000, SSIM, PSNR, PNG bytes); over the images, per K, on how many images
K-means in each space beats K-means in sRGB and each quantizer, with the median difference, at
equal K and at equal bytes (K-means's quality at the quantizer's file size, interpolated
between the K values in log bytes). Then the proof: from the matched start in each space, the
double-precision implementations end identical (labels and centres) at `--proof-k`.

    python benchmarks/spaces.py [IMAGE ...] [--k 16 32 64 128 256] [--space rgb cielab oklab]
        [--fit-max-pixels 300000] [--proof-k 16 64] [--csv scores.csv]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common import ROOT
from kmquant import compressed, fitting, initial, reference
from kmquant.agreement import compare_in_space
from kmquant.fitting import Task
from kmquant.images import eight_bit
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.pixels import Pixels, prepare
from kmquant.spaces import RGB, SPACES

QUANTIZERS = ("libimagequant", "pngquant")
#: The measures compared, each with whether higher is better.
MEASURES = {"mean_ciede2000": False, "ssim": True, "psnr_db": True}


def kmeans_record(photo: Path, pixels: Pixels, space: str, k: int, sample: int) -> dict[str, Any]:
    """`kmquant compress` in a space, its PNG scored as the study scores a quantizer's."""
    with tempfile.TemporaryDirectory() as folder:
        png = Path(folder) / "out.png"
        compressed.compress(photo, png, k, "python", 0, 300, sample, 0, "#ffffff", 1, None, space)
        quantized = reference.Quantized(png.read_bytes(), "", "")
    return reference.record(f"kmeans_{space}", k, quantized, pixels, photo.stem)


def scores(
    photos: Sequence[Path], ks: Sequence[int], spaces: Sequence[str], sample: int
) -> list[dict[str, Any]]:
    rows = []
    for photo in photos:
        pixels = prepare(photo, sample, 0, "#ffffff")
        for k in ks:
            done = [kmeans_record(photo, pixels, space, k, sample) for space in spaces]
            for method in QUANTIZERS:
                result = reference.quantize(method, eight_bit(pixels.rgb, pixels.max_value), k)
                done.append(reference.record(method, k, result, pixels, photo.stem))
            rows += done
            scored = ", ".join(f"{row['method']} {row['mean_ciede2000']:.3f}" for row in done)
            print(f"{photo.stem}, K = {k}, mean CIEDE2000: {scored}", flush=True)
    return rows


def at_bytes(rows: Iterable[Mapping[str, Any]], measure: str, size: float) -> float:
    """A method's `measure` at `size` bytes, interpolated between its K values in log bytes;
    NaN outside the sizes it wrote."""
    points = sorted((np.log(row["indexed_png_bytes"]), row[measure]) for row in rows)
    x, y = zip(*points, strict=True)
    if not x[0] <= np.log(size) <= x[-1]:
        return float("nan")
    return float(np.interp(np.log(size), x, y))


def better(measure: str, a: float, b: float) -> bool:
    return a > b if MEASURES[measure] else a < b


def summary(rows: list[dict[str, Any]], ks: Sequence[int], spaces: Sequence[str]) -> None:
    """Per K, space, rival and measure: images where K-means in the space is better, and the
    median difference (K-means minus the rival), at equal K and at equal bytes."""
    by = {(row["image"], row["method"], row["k_requested"]): row for row in rows}
    images = sorted({row["image"] for row in rows})
    print(
        "\nK, space, against, measure: better on n of N at equal K (median difference); "
        "at equal bytes"
    )
    for k in ks:
        for space in spaces:
            ours = f"kmeans_{space}"
            rivals = [f"kmeans_{RGB}"] * (space != RGB) + list(QUANTIZERS)
            for rival in rivals:
                for measure in MEASURES:
                    same_k = [
                        by[image, ours, k][measure] - by[image, rival, k][measure]
                        for image in images
                    ]
                    wins = sum(better(measure, d, 0.0) for d in same_k)
                    sized = []
                    for image in images:
                        curve = [by[image, ours, kk] for kk in ks]
                        mine = at_bytes(curve, measure, by[image, rival, k]["indexed_png_bytes"])
                        if not np.isnan(mine):
                            sized.append(mine - by[image, rival, k][measure])
                    sized_wins = sum(better(measure, d, 0.0) for d in sized)
                    sized_text = (
                        f"{sized_wins} of {len(sized)} ({statistics.median(sized):+.4f})"
                        if sized
                        else "no image in range"
                    )
                    print(
                        f"K = {k}, {space}, vs {rival}, {measure}: {wins} of {len(images)} "
                        f"({statistics.median(same_k):+.4f}); at equal bytes {sized_text}"
                    )


def pairs_from_one_start(pixels: Pixels, name: str, k: int, space: str) -> list[dict[str, Any]]:
    """Matched mode in a space: each double-precision implementation's fit from one start,
    compared with Python's as the study compares fits (kmquant.agreement)."""
    exact = [impl for impl, entry in IMPLEMENTATIONS.items() if entry.exact]
    init = initial.initial_centres(pixels, k, 0, True, space)
    fits = [
        fitting.fit_image(pixels, Task(name, impl, "matched", k, 0), 300, 1, init, space)
        for impl in exact
    ]
    return [
        {"image": name, "k": k, "impl": fit.meta["impl"]} | compare_in_space(fits[0], fit, space)
        for fit in fits[1:]
    ]


def proof(photos: Sequence[Path], ks: Sequence[int], spaces: Sequence[str], sample: int) -> None:
    """The proof in each space on every photo and K, each photo loaded once."""
    records: dict[str, list[dict[str, Any]]] = {space: [] for space in spaces}
    for photo in photos:
        pixels = prepare(photo, sample, 0, "#ffffff")
        for k, space in itertools.product(ks, spaces):
            records[space] += pairs_from_one_start(pixels, photo.stem, k, space)
    print("\nThe proof (every double-precision implementation against python; matched, seed 0):")
    for space, done in records.items():
        same = [record for record in done if record["verdict"] == "identical"]
        worst = max((record["max_centre_distance_8bit"] for record in same), default=0.0)
        for record in done:
            if record["verdict"] != "identical":
                print(f"  {space}: {record}")
        print(
            f"  {space}: {len(same)} of {len(done)} pairs identical "
            f"(largest centre difference {worst:.1e} in 8-bit sRGB levels)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "images", nargs="*", type=Path, default=sorted((ROOT / "data").glob("*.jpg"))
    )
    parser.add_argument("--k", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    parser.add_argument(
        "--space", nargs="+", choices=list(SPACES), default=[RGB, "cielab", "oklab"]
    )
    parser.add_argument("--fit-max-pixels", type=int, default=300_000)
    parser.add_argument("--proof-k", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--csv", type=Path, help="every scored PNG, a row each")
    args = parser.parse_args()
    rows = scores(args.images, args.k, args.space, args.fit_max_pixels)
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=sorted({key for row in rows for key in row}))
            writer.writeheader()
            writer.writerows(rows)
    summary(rows, args.k, args.space)
    proof(args.images, args.proof_k, args.space, args.fit_max_pixels)


if __name__ == "__main__":
    main()
