"""Benchmark 2: the default study through Snakemake (`--cores 2`; everything: fits, metrics,
agreement, convergence traces, tables, figures, explorer) against plain_script.py, a serial
script that does only the same fits, the way a plain script does (a loop over K calling each
library and Rscript). Prints both wall times and their ratio, where the study's job time went,
and checks that both ran the same fits (the same centres, fit by fit). The plain script
clusters sRGB code values alone, so the study runs in sRGB alone too (`spaces: [rgb]`).

    python benchmarks/study_vs_script.py [--config config.yaml] [--cores 2] [--keep DIR]

With --keep, both runs stay in DIR (for example to compare the study's manifest with
another commit's); otherwise they are written to a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from common import ROOT, measure
from kmquant.paths import Results
from kmquant.tables import read_benchmark, read_csv


def same_fits(study: Path, plain: Path) -> tuple[int, dict[str, float]]:
    """(fits compared, the largest centre difference in 8-bit units per implementation)
    between the two runs, which must have run the same set of fits.

    Fits are compared by their centres: where Hartigan-Wong stops early (Quick-TRANSfer), R's
    own labels are not every pixel's nearest centre and the study labels such fits by the
    nearest centre (docs/design.md), so their SSEs differ while the fits are the same. The
    plain script's scikit-learn runs on both cores, the study's on one, which rounds its sums
    in another order (differences of about 1e-12 of a level).
    """
    ours = {
        (r["image"], r["impl"], r["mode"], r["k_requested"], r["seed"])
        for r in read_csv(study / "results" / "tables" / "fits.csv")
    }
    theirs = {
        (r["image"], r["impl"], r["mode"], r["k"], r["seed"]) for r in read_csv(plain / "fits.csv")
    }
    if ours != theirs:
        raise SystemExit("the study and the plain script ran different sets of fits")
    results = Results(study / "results")
    largest: dict[str, float] = collections.defaultdict(float)
    for image, impl, mode, k, seed in sorted(ours):
        fitted = np.load(results.fit(impl, mode, image, k, seed))["centres"]
        name = f"{impl}_{mode}_k{k}_s{seed}_centres.csv"
        written = np.loadtxt(plain / image / name, delimiter=",", ndmin=2)
        gap = np.nan_to_num(np.abs(fitted - written), nan=0.0).max()
        largest[impl] = max(largest[impl], 255 * float(gap))
    return len(ours), dict(largest)


def job_seconds(results: Path) -> dict[str, float]:
    """Seconds of every benchmarked job, summed per rule output folder (per implementation
    for the fits)."""
    totals: dict[str, float] = collections.defaultdict(float)
    for path in (results / "benchmarks").rglob("*.tsv"):
        parts = path.relative_to(results / "benchmarks").parts
        name = "/".join(parts[:2]) if parts[0] == "fits" else parts[0]
        totals[name] += read_benchmark(path)["job_wall_seconds"]
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--cores", default="2")
    parser.add_argument("--keep", type=Path, help="an empty folder to keep both runs in")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        given = yaml.safe_load(args.config.read_text(encoding="utf-8"))
        (work / "config.yaml").write_text(yaml.safe_dump(given | {"spaces": ["rgb"]}))
        (work / "data").symlink_to(ROOT / "data")
        snakemake = [
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
        ]
        study = measure(snakemake).seconds
        script = [
            sys.executable,
            str(Path(__file__).with_name("plain_script.py")),
            str(work / "config.yaml"),
            str(work / "plain"),
        ]
        plain = measure(script).seconds
        n_fits, gaps = same_fits(work, work / "plain")
        print(f"study, snakemake --cores {args.cores}: {study:.0f} s")
        print(f"plain serial script: {plain:.0f} s")
        print(f"ratio study / plain script: {study / plain:.2f}")
        print(
            f"same fits: {n_fits} fits; largest centre difference (8-bit) per implementation: "
            + ", ".join(f"{impl} {gap:.1e}" for impl, gap in gaps.items())
        )
        # The time inside the fit calls bounds the study from below, whatever the overhead.
        timings = read_csv(work / "results" / "tables" / "timings.csv")
        fitting = sum(float(row["fit_seconds"]) for row in timings)
        floor = fitting / int(args.cores)
        print(
            f"the study's fit calls alone: {fitting:.0f} s; spread evenly over {args.cores} "
            f"cores {floor:.0f} s, {floor / plain:.2f} of the plain script"
        )
        totals = job_seconds(work / "results")
        print(f"the study's job seconds, {sum(totals.values()):.0f} s in all:")
        for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"  {name:<24} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
