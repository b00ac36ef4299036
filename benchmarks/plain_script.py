"""The default study's fits done the way a plain script does them, as the baseline of
study_vs_script.py: one serial script, a loop over K calling each library directly
(scikit-learn's KMeans, Lloyd and Elkan; SciPy's kmeans2; OpenCV's cv2.kmeans; faiss.Kmeans)
and, through Rscript, R's kmeans and amap::Kmeans (plain_fits.R), each fit's compressed image
saved as a PNG. No metrics, agreement, tables or figures. The shared starts are drawn here as
the study draws them, and each implementation runs the seeds and K values the config gives it,
so the two run the same fits: K distinct colours with default_rng(seed), moved off the lattice
by a uniform offset of [-0.5, 0.5) colour steps from the same generator for matched mode, left
on it for the tied experiment (its seeds only).

    python benchmarks/plain_script.py config.yaml OUT_DIR

Writes OUT_DIR/fits.csv (image, impl, mode, k, seed) and each fit's centres as
OUT_DIR/{image}/{impl}_{mode}_k{k}_s{seed}_centres.csv.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

import cv2
import faiss
import numpy as np
import yaml
from PIL import Image
from scipy.cluster.vq import kmeans2
from sklearn.cluster import KMeans

# Which fits the study runs, and OpenCV's start (the nearest initial centre of each pixel, as
# the study computes it): the grid and the start, not the way each library is called.
from kmquant.implementations import IMPLEMENTATIONS, implementation_ks, run_seeds
from kmquant.labelling import nearest_centres

HERE = Path(__file__).resolve().parent
SUFFIXES = {".png", ".jpg", ".jpeg"}
R_IMPLEMENTATIONS = ("r", "amap")


def save_png(centres: np.ndarray, labels: np.ndarray, shape: tuple[int, ...], path: Path) -> None:
    rgb = np.round(np.nan_to_num(centres)[labels] * 255).astype(np.uint8).reshape(shape)
    Image.fromarray(rgb).save(path)


def fit(
    impl: str, x: np.ndarray, k: int, seed: int, start: np.ndarray | None, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centres, labels) of one fit, each library called as its users call it."""
    if impl in ("python", "elkan"):
        algorithm = "lloyd" if impl == "python" else "elkan"
        model = (
            KMeans(k, init=start, n_init=1, algorithm=algorithm, max_iter=max_iter, tol=0)
            if start is not None
            else KMeans(k, algorithm=algorithm, random_state=seed, max_iter=max_iter)
        )
        labels = model.fit_predict(x)
        return model.cluster_centers_, labels
    if impl == "scipy":
        if start is not None:
            return kmeans2(x, start, iter=max_iter, minit="matrix")
        return kmeans2(x, k, iter=max_iter, rng=seed)
    x32 = x.astype(np.float32)
    if impl == "opencv":
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, max_iter, 0.0)
        if start is not None:
            labels = nearest_centres(x, start).astype(np.int32).reshape(-1, 1)
            _, labels, centres = cv2.kmeans(
                x32, k, labels, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS
            )
        else:
            cv2.setRNGSeed(seed)
            _, labels, centres = cv2.kmeans(x32, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
        return centres, labels.ravel()
    model = faiss.Kmeans(3, k, niter=max_iter, seed=seed, max_points_per_centroid=len(x) + 1)
    model.train(x32, init_centroids=None if start is None else start.astype(np.float32))
    return model.centroids, model.index.search(x32, 1)[1].ravel()


def starts(distinct: np.ndarray, k: int, seed: int, tied: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    colours = distinct[rng.choice(len(distinct), size=k, replace=False)]
    drawn = {"matched": (colours + rng.uniform(-0.5, 0.5, colours.shape)) / 255}
    return drawn | ({"tied": colours / 255} if tied else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
    config.setdefault("implementations", list(IMPLEMENTATIONS))
    image_dir = args.config.parent / config["image_dir"]
    max_iter = config["max_iter"]
    tied_seeds = config.get("tied_seeds") or config["seeds"][:1]
    rows = []
    for path in sorted(p for p in image_dir.iterdir() if p.suffix.lower() in SUFFIXES):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        pixels = rgb.reshape(-1, 3)
        x = pixels / 255
        out = args.out / path.stem
        out.mkdir(parents=True)
        np.savetxt(out / "pixels.csv", pixels, fmt="%d", delimiter=",")
        distinct = np.unique(pixels, axis=0)  # initial centres must be distinct colours
        for k in config["k_values"]:
            r_runs = []
            for seed in config["seeds"]:
                drawn = starts(distinct, k, seed, seed in tied_seeds)
                for mode, init in drawn.items():
                    np.savetxt(
                        out / f"init_{mode}_k{k}_s{seed}.csv", init, delimiter=",", fmt="%.17g"
                    )
                for mode in ("native", *drawn):
                    for impl in config["implementations"]:
                        if k not in implementation_ks(impl, config):
                            continue
                        if seed not in run_seeds(impl, mode, config):
                            continue
                        rows.append([path.stem, impl, mode, k, seed])
                        name = f"{impl}_{mode}_k{k}_s{seed}"
                        if impl in R_IMPLEMENTATIONS:
                            r_runs.append(f"{impl}:{mode}:{seed}")
                            continue
                        centres, labels = fit(impl, x, k, seed, drawn.get(mode), max_iter)
                        save_png(np.asarray(centres), labels, rgb.shape, out / f"{name}.png")
                        np.savetxt(out / f"{name}_centres.csv", centres, delimiter=",", fmt="%.17g")
            if r_runs:
                subprocess.run(
                    [
                        "Rscript",
                        str(HERE / "plain_fits.R"),
                        str(out / "pixels.csv"),
                        str(k),
                        str(max_iter),
                        str(out),
                        str(out),
                        *r_runs,
                    ],
                    check=True,
                )
                for run in r_runs:
                    name = "{}_{}_k{}_s{}".format(*run.split(":")[:2], k, run.split(":")[2])
                    centres = np.loadtxt(out / f"{name}_centres.csv", delimiter=",", ndmin=2)
                    labels = np.loadtxt(out / f"{name}_labels.csv", dtype=np.int64) - 1
                    save_png(centres, labels, rgb.shape, out / f"{name}.png")
    with open(args.out / "fits.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "impl", "mode", "k", "seed"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
