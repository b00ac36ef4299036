"""The default study's fits done the way a plain script does them, as the baseline of
study_vs_script.py: one serial script, a loop over K calling scikit-learn's KMeans and, through
Rscript, R's kmeans (plain_fits.R), each fit's compressed image saved as a PNG. No metrics,
agreement, tables or figures. The shared starts are drawn here as the study draws them, so the
two run the same fits: K distinct colours with default_rng(seed), moved off the lattice by a
uniform offset of [-0.5, 0.5) colour steps from the same generator for matched mode, left on it
for the tied experiment (its seeds only).

    python benchmarks/plain_script.py config.yaml OUT_DIR

Writes OUT_DIR/fits.csv: image, impl, mode, k, seed and the fit's SSE in 8-bit units.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

import numpy as np
import yaml
from PIL import Image
from sklearn.cluster import KMeans

from kmquant.metrics import sse_8bit  # for the same-fits check only, not part of the seeds' way

HERE = Path(__file__).resolve().parent
SUFFIXES = {".png", ".jpg", ".jpeg"}


def save_png(centres: np.ndarray, labels: np.ndarray, shape: tuple[int, ...], path: Path) -> None:
    rgb = np.round(centres[labels] * 255).astype(np.uint8).reshape(shape)
    Image.fromarray(rgb).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
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
            runs = []  # (mode, seed) in the order R runs them too
            for seed in config["seeds"]:
                rng = np.random.default_rng(seed)
                colours = distinct[rng.choice(len(distinct), size=k, replace=False)]
                starts = {"matched": (colours + rng.uniform(-0.5, 0.5, colours.shape)) / 255}
                if seed in tied_seeds:
                    starts["tied"] = colours / 255
                runs.append(("native", seed))
                models = {"native": KMeans(n_clusters=k, random_state=seed, max_iter=max_iter)}
                for mode, init in starts.items():
                    np.savetxt(out / f"init_{mode}_k{k}_s{seed}.csv", init, delimiter=",",
                               fmt="%.17g")  # fmt: skip
                    runs.append((mode, seed))
                    models[mode] = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd",
                                          max_iter=max_iter, tol=0)  # fmt: skip
                for mode, model in models.items():
                    labels = model.fit_predict(x)
                    name = f"python_{mode}_k{k}_s{seed}"
                    save_png(model.cluster_centers_, labels, rgb.shape, out / f"{name}.png")
                    sse = sse_8bit(x, model.cluster_centers_, labels)
                    rows.append([path.stem, "python", mode, k, seed, sse])
            r_out = out / f"r_k{k}"
            r_out.mkdir()
            subprocess.run(
                ["Rscript", str(HERE / "plain_fits.R"), str(out / "pixels.csv"), str(k),
                 str(max_iter), str(out), str(r_out), *(f"{m}:{s}" for m, s in runs)],
                check=True,
            )  # fmt: skip
            for mode, seed in runs:
                name = f"{mode}_k{k}_s{seed}"
                centres = np.loadtxt(r_out / f"{name}_centres.csv", delimiter=",", ndmin=2)
                labels = np.loadtxt(r_out / f"{name}_labels.csv", dtype=np.int64) - 1
                save_png(centres, labels, rgb.shape, out / f"r_{name}.png")
                rows.append([path.stem, "r", mode, k, seed, sse_8bit(x, centres, labels)])
    with open(args.out / "fits.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "impl", "mode", "k", "seed", "sse_8bit"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
