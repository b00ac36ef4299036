"""Images of extreme shapes and the largest one the loader accepts through the whole workflow:
a 1 x 4000 and a 4000 x 1 image and one of 89.47 megapixels (just below Pillow's
decompression-bomb limit), every implementation but amap::Kmeans (minutes per fit at this
size), K = 16, matched mode, one seed. Prints the peak memory of each rule (the largest over
its jobs, from Snakemake's benchmark files) per image, in MB and in bytes per pixel.

    python benchmarks/extreme_shapes.py [--cores 2] [--without-largest]

The largest image needs about 3 GB per job (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from common import ROOT, camera_photo
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.tables import read_benchmark

#: Pillow refuses more pixels than this as a decompression bomb; 10922 x 8192 stays below it.
LARGEST_MEGAPIXELS = 89.47


def strip(width: int, height: int, path: Path) -> Path:
    """A noisy colour strip of `width` x `height` pixels."""
    pixels = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def peaks(results: Path, images: list[str]) -> dict[str, dict[str, float]]:
    """Per rule (the first folder of its benchmark path), per image, the largest peak MB."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        parts = path.relative_to(results / "benchmarks").with_suffix("").parts
        image = next((name for name in images if any(name in part for part in parts)), "all")
        rule = "/".join(part for part in parts[:2] if image not in part)
        peak = read_benchmark(path)["job_max_rss_mb"]
        found[rule][image] = max(found[rule].get(image, 0.0), peak)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", default="2")
    parser.add_argument("--without-largest", action="store_true", help="the two strips only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        data = work / "data"
        data.mkdir()
        strip(4000, 1, data / "wide.png")
        strip(1, 4000, data / "tall.png")
        sizes = {"wide": 4000, "tall": 4000}
        if not args.without_largest:
            camera_photo(LARGEST_MEGAPIXELS, data / "largest.jpg")
            with Image.open(data / "largest.jpg") as im:
                sizes["largest"] = im.width * im.height
        config = {
            "image_dir": "data",
            "k_values": [16],
            "seeds": [0],
            "modes": ["matched"],
            "implementations": [name for name in IMPLEMENTATIONS if name != "amap"],
            "convergence_k": [],
            "palette_max_k": 16,
        }
        (work / "config.yaml").write_text(yaml.safe_dump(config))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "-s",
                str(ROOT / "Snakefile"),
                "-d",
                str(work),
                "--cores",
                args.cores,
                "--quiet",
            ],
            check=True,
        )
        found = peaks(work / "results", list(sizes))
    print("peak MB (bytes per pixel) per rule and image")
    print(f"{'rule':<34}" + "".join(f"{name:>22}" for name in (*sizes, "all")))
    for rule, per_image in sorted(found.items()):
        cells = []
        for name in (*sizes, "all"):
            peak = per_image.get(name)
            per_pixel = f" ({peak * 2**20 / sizes[name]:.0f})" if peak and name in sizes else ""
            cells.append(f"{peak:.0f}{per_pixel}" if peak else "-")
        print(f"{rule:<34}" + "".join(f"{cell:>22}" for cell in cells))


if __name__ == "__main__":
    main()
