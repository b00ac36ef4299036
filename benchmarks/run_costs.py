"""Where a finished run's time went, from its own records: every job's wall seconds (Snakemake's
benchmark files under results/benchmarks/), the seconds inside the K-means fit calls and the
reference tools (results/tables/timings.csv), the start-up of a job of each kind measured here
in fresh processes (what it imports and loads before its first result, R included), and the
ratio of the run's wall time to its fit seconds spread over the cores. Prints one table;
numbers of one run compare with each other, not across machines.

    python run_costs.py RUN_FOLDER --wall SECONDS [--cores 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

from kmquant.implementations import IMPLEMENTATIONS
from kmquant.tables import read_benchmark, read_csv

#: What scoring a written image loads on its first use: scikit-image's colour and metrics.
SCORING = "from skimage.color import rgb2lab; from skimage.metrics import structural_similarity"
#: What an R fit loads on its first use: R itself, which rpy2 starts.
R_START = "import rpy2.robjects"
#: What a job of each kind loads before its first result, as statements a fresh process runs
#: after importing the kmquant command line: the modules its command imports and the
#: libraries they load on first use. A fit job imports its implementation's backend module
#: (and starts R for an R implementation); the agreement job, which steps pairs of
#: implementations apart, every one.
BACKENDS = {
    name: f"import kmquant.fitting, kmquant.backends.{entry.backend}"
    + (f"; {R_START}" if entry.language == "R" else "")
    for name, entry in IMPLEMENTATIONS.items()
}
#: The other kinds of jobs (those not named here: the command line and numpy only; the one
#: conversions job, which also starts R and colour-science, counts among the tables).
LOADS = {
    "images": f"import kmquant.compressed, kmquant.pixels, kmquant.scoring; {SCORING}",
    "images/original": "import kmquant.compressed, kmquant.pixels",
    "images/difference": "import kmquant.compressed",
    "reference": f"import kmquant.pixels, kmquant.reference; {SCORING}",
    "figures": "import kmquant.figures, matplotlib.pyplot",
    "init": "import kmquant.initial, kmquant.pixels",
    "pixels": "import kmquant.pixels",
    "tables": "import kmquant.tables",
}


def rule_of(benchmark: Path, root: Path) -> str:
    """A job's kind from its benchmark's place: `fits/{impl}` for fit jobs,
    `images/original` and `images/difference` for the originals and the difference images
    (beside `images`, the jobs of an image's PNGs), else the folder."""
    parts = benchmark.relative_to(root).with_suffix("").parts
    return "/".join(parts[:2]) if parts[0] in ("fits", "images") and len(parts) > 2 else parts[0]


def kind_of_start(kind: str) -> str:
    """The kind whose start-up a job of `kind` has: in a run from before one images job per
    image, the images jobs of each implementation (`images/{impl}`) start as those do."""
    parent, _, impl = kind.partition("/")
    return "images" if parent == "images" and impl in IMPLEMENTATIONS else kind


def job_seconds(run: Path) -> dict[str, list[float]]:
    """Every job's wall seconds, by kind."""
    root = run / "results" / "benchmarks"
    jobs: dict[str, list[float]] = {}
    for benchmark in sorted(root.rglob("*.tsv")):
        seconds = read_benchmark(benchmark)["job_wall_seconds"]
        jobs.setdefault(rule_of(benchmark, root), []).append(seconds)
    return jobs


def work_seconds(run: Path) -> Counter[str]:
    """The seconds inside the fit calls, per implementation, and inside the reference tools."""
    inside: Counter[str] = Counter()
    for row in read_csv(run / "results" / "tables" / "timings.csv"):
        kind = "reference" if row["mode"] == "reference" else f"fits/{row['impl']}"
        inside[kind] += float(row["fit_seconds"] or 0)
    return inside


def start_up(loads: str, repeats: int = 3) -> float:
    """The median seconds of a fresh Python that imports the kmquant command line, runs
    `loads`, and exits."""
    code = f"import kmquant.cli; {loads}"
    seconds = []
    for _ in range(repeats):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds.append(float(done.stdout))
    return statistics.median(seconds)


def start_ups() -> dict[str, float]:
    """The start-up of a job of each kind."""
    measured = {f"fits/{impl}": start_up(loads) for impl, loads in BACKENDS.items()}
    backends = sorted({f"kmquant.backends.{entry.backend}" for entry in IMPLEMENTATIONS.values()})
    every = f"import kmquant.agreement, kmquant.pixels, {', '.join(backends)}; {R_START}"
    measured["agreement"] = start_up(every)
    measured |= {kind: start_up(loads) for kind, loads in LOADS.items()}
    measured["other"] = start_up("import numpy")
    return measured


def report(run: Path, wall: float, cores: int) -> str:
    jobs, inside, starts = job_seconds(run), work_seconds(run), start_ups()
    total = sum(sum(seconds) for seconds in jobs.values())
    fits = sum(seconds for kind, seconds in inside.items() if kind.startswith("fits/"))
    lines = [
        "| jobs of | jobs | job-seconds | inside fits or tools | start-up (measured x jobs) |",
        "| --- | --- | --- | --- | --- |",
    ]
    started = 0.0
    for kind, seconds in sorted(jobs.items(), key=lambda item: -sum(item[1])):
        start = starts.get(kind_of_start(kind), starts["other"]) * len(seconds)
        started += start
        lines.append(
            f"| {kind} | {len(seconds)} | {sum(seconds):.0f} | "
            f"{inside.get(kind, 0):.0f} | {start:.0f} |"
        )
    lines += [
        "",
        f"wall {wall:.0f} s on {cores} cores; {sum(map(len, jobs.values()))} jobs, "
        f"{total:.0f} job-seconds ({total / wall:.2f} cores busy on average)",
        f"inside the K-means fit calls {fits:.0f} s; wall / (fit seconds / cores) = "
        f"{wall / (fits / cores):.2f}",
        f"start-up {started:.0f} s, {started / total:.1%} of the job-seconds",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", type=Path, help="the folder the run ran in (holds results/)")
    parser.add_argument("--wall", type=float, required=True, help="the run's wall seconds")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    print(report(args.run, args.wall, args.cores))


if __name__ == "__main__":
    main()
