"""Benchmark 2: the default study through Snakemake (`--cores 2`; everything: fits, metrics,
agreement, convergence traces, tables, figures, explorer) against plain_script.py, a serial
script that does only the same fits, the way a plain script does (a loop over K calling
scikit-learn and Rscript). Prints both wall times and their ratio, where the study's job time
went, and checks that both ran the same fits (equal SSE, fit by fit).

    python benchmarks/study_vs_script.py [--config config.yaml] [--cores 2] [--keep DIR]

With --keep, both runs stay in DIR (for example to compare the study's manifest with
another commit's); otherwise they are written to a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from common import ROOT, measure
from kmquant.paths import Results
from kmquant.tables import read_benchmark, read_csv


def same_fits(study: Path, plain: Path) -> tuple[int, float, float]:
    """(fits compared, largest relative SSE difference of the Python fits, largest centre
    difference of the R fits in 8-bit units) between the two runs.

    R's fits are compared by their centres: where Hartigan-Wong stops early (Quick-TRANSfer),
    R's own labels are not every pixel's nearest centre, and the study labels such fits by the
    nearest centre (docs/design.md), so their SSEs differ while the fits are the same.
    scikit-learn's labels always belong to its final centres, so its SSEs compare directly.
    """
    ours = {(r["image"], r["impl"], r["mode"], r["k_requested"], r["seed"]): float(r["fit_sse"])
            for r in read_csv(study / "results" / "tables" / "fits.csv")}  # fmt: skip
    theirs = {(r["image"], r["impl"], r["mode"], r["k"], r["seed"]): float(r["sse_8bit"])
              for r in read_csv(plain / "fits.csv")}  # fmt: skip
    if ours.keys() != theirs.keys():
        raise SystemExit("the study and the plain script ran different sets of fits")
    python = [key for key in ours if key[1] == "python"]
    sse = max(abs(theirs[key] / ours[key] - 1) for key in python)
    results = Results(study / "results")
    centres = 0.0
    for image, _, mode, k, seed in (key for key in ours if key[1] == "r"):
        fitted = np.load(results.fit("r", mode, image, k, seed))["centres"]
        name = f"{mode}_k{k}_s{seed}_centres.csv"
        written = np.loadtxt(plain / image / f"r_k{k}" / name, delimiter=",", ndmin=2)
        centres = max(centres, 255 * float(np.abs(fitted - written).max()))
    return len(ours), sse, centres


def job_seconds(results: Path) -> dict[str, float]:
    """Seconds of every benchmarked job, summed per rule output folder."""
    totals: dict[str, float] = collections.defaultdict(float)
    for path in (results / "benchmarks").rglob("*.tsv"):
        parts = path.relative_to(results / "benchmarks").parts
        name = "/".join(parts[:3]) if parts[0] == "fits" else parts[0]
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
        shutil.copy(args.config, work / "config.yaml")
        (work / "data").symlink_to(ROOT / "data")
        snakemake = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
                     "-d", str(work), "--cores", args.cores, "--quiet"]  # fmt: skip
        study = measure(snakemake).seconds
        script = [sys.executable, str(Path(__file__).with_name("plain_script.py")),
                  str(work / "config.yaml"), str(work / "plain")]  # fmt: skip
        plain = measure(script).seconds
        n_fits, sse, centres = same_fits(work, work / "plain")
        print(f"study, snakemake --cores {args.cores}: {study:.0f} s")
        print(f"plain serial script: {plain:.0f} s")
        print(f"ratio study / plain script: {study / plain:.2f}")
        print(f"same fits: {n_fits} fits; Python: largest relative SSE difference {sse:.1e}; "
              f"R: largest centre difference {centres:.1e} (8-bit)")  # fmt: skip
        # The time inside the fit calls bounds the study from below, whatever the overhead.
        timings = read_csv(work / "results" / "tables" / "timings.csv")
        fitting = sum(float(row["fit_seconds"]) for row in timings)
        floor = fitting / int(args.cores)
        print(f"the study's fit calls alone: {fitting:.0f} s; spread evenly over {args.cores} "
              f"cores {floor:.0f} s, {floor / plain:.2f} of the plain script")  # fmt: skip
        totals = job_seconds(work / "results")
        print(f"the study's job seconds, {sum(totals.values()):.0f} s in all:")
        for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"  {name:<24} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
