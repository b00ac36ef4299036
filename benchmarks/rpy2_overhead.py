"""The R path through rpy2 against the same `kmeans` call in a bare Rscript, on the same data:
how much the bridge costs. Prints ratios measured in this one run.

    python benchmarks/rpy2_overhead.py [--k 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from common import ROOT
from kmquant import fit_r, pixels

BARE = """
x <- matrix(readBin("{data}", "double", {n} * 3L), ncol = 3L, byrow = TRUE)
set.seed({seed})
t <- system.time(fit <- kmeans(x, centers = {k}L, iter.max = {max_iter}L, nstart = 1L))
cat(t[["elapsed"]], sprintf("%.17g", sum(fit$withinss)), "\\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    px = pixels.prepare(ROOT / "data" / "china.jpg", 300_000, 0, "#ffffff")
    x = px.fit_features()
    fit_r.fit_native(x[:1000], 2, 0, 10)  # start R and source r/kmquant.R once, untimed
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "x.bin"
        x.astype("<f8").tofile(data)
        script = BARE.format(data=data, n=len(x), seed=0, k=args.k, max_iter=300)
        bridge, bare_kmeans, bare_process = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            raw = fit_r.fit_native(x, args.k, 0, 300)
            bridge.append(time.perf_counter() - start)
            start = time.perf_counter()
            out = subprocess.run(
                ["Rscript", "-e", script], capture_output=True, text=True, check=True
            ).stdout.split()
            bare_process.append(time.perf_counter() - start)
            bare_kmeans.append(float(out[0]))
    sse = float(np.sum((x - raw.centres[raw.labels]) ** 2))
    same = np.isclose(sse, float(out[1]), rtol=1e-12)
    print(f"SSE through rpy2 {sse!r}, in bare Rscript {float(out[1])!r}")
    b, k, p = (statistics.median(v) for v in (bridge, bare_kmeans, bare_process))
    print(f"{len(x)} pixels, K = {args.k}, median of {args.repeats} runs")
    print(f"same fit in both (SSE equal to 1e-12): {same}")
    print(f"through rpy2, the whole call: {b:.2f} s; kmeans alone in bare Rscript: {k:.2f} s")
    print(f"rpy2 overhead ratio (rpy2 call / bare kmeans): {b / k:.3f}")
    print(
        f"bare Rscript process (start R, read data, kmeans): {p:.2f} s, ratio to rpy2 call: "
        f"{p / b:.2f}"
    )


if __name__ == "__main__":
    main()
