"""Camera-sized photos through the whole workflow in both languages: a 12-megapixel photo at
K = 256 and a 48-megapixel photo at K = 64 (both modes, one seed, no convergence traces).
Prints every job's seconds and peak memory per pixel, from Snakemake's benchmark files.

    python benchmarks/large_images.py [--cores 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from common import ROOT, camera_photo
from kmquant.tables import read_benchmark, read_csv

RUNS = ((12, 256), (48, 64))  # megapixels, K


def jobs(results: Path) -> list[tuple[str, float, float]]:
    """(job, seconds, peak MB) of every job the run benchmarked."""
    rows = []
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        job = read_benchmark(path)
        name = str(path.relative_to(results / "benchmarks").with_suffix(""))
        rows.append((name, job["job_wall_seconds"], job["job_max_rss_mb"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", default="2")
    args = parser.parse_args()
    for megapixels, k in RUNS:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            (work / "photos").mkdir()
            camera_photo(megapixels, work / "photos" / f"camera{megapixels}mp.jpg")
            config = {
                "image_dir": "photos",
                "k_values": [k],
                "seeds": [0],
                "modes": ["matched", "native"],
                "convergence_k": [],
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
            fits = read_csv(work / "results" / "tables" / "fits.csv")
            print(
                f"\n{megapixels} MP, K = {k}: "
                + ", ".join(
                    f"{f['impl']} {f['mode']} {f['status']} PSNR {float(f['psnr_db']):.2f} dB"
                    for f in fits
                )
            )
            pixels = megapixels * 1e6
            rows = jobs(work / "results")
            for name, seconds, peak in rows:
                print(
                    f"  {name:<48} {seconds:7.1f} s {peak:7.0f} MB "
                    f"{peak * 2**20 / pixels:5.1f} bytes/pixel"
                )
            worst = max(rows, key=lambda row: row[2])
            print(f"  largest peak: {worst[0]}, {worst[2] * 2**20 / pixels:.1f} bytes/pixel")


if __name__ == "__main__":
    main()
