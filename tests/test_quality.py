"""Quality as compression is measured: SSIM and MAE of the written image, the rate-distortion
points and figure, and the K each method needs for a target quality."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from conftest import run_snakemake, small_photo, write_config
from kmquant import metrics, rate
from kmquant.metrics import ssim_8bit
from kmquant.pixels import Pixels, distinct_colours
from kmquant.scoring import score_image


def wang_ssim(x: np.ndarray, y: np.ndarray, sigma: float = 1.5, radius: int = 5) -> float:
    """SSIM as Wang et al. (2004) define it, written out: at every pixel whose 11 x 11 window
    lies inside the image, Gaussian-weighted means, variances and covariance of the window,
    then the mean over those pixels and over the channels."""
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    weights /= weights.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    height, width, channels = x.shape
    values = []
    for channel in range(channels):
        for i in range(radius, height - radius):
            for j in range(radius, width - radius):
                a = x[i - radius : i + radius + 1, j - radius : j + radius + 1, channel]
                b = y[i - radius : i + radius + 1, j - radius : j + radius + 1, channel]
                mu_a, mu_b = (weights * a).sum(), (weights * b).sum()
                var_a = (weights * (a - mu_a) ** 2).sum()
                var_b = (weights * (b - mu_b) ** 2).sum()
                cov = (weights * (a - mu_a) * (b - mu_b)).sum()
                values.append(
                    (2 * mu_a * mu_b + c1)
                    * (2 * cov + c2)
                    / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
                )
    return float(np.mean(values))


def _pair() -> tuple[np.ndarray, np.ndarray]:
    original = np.asarray(small_photo(19, 16), dtype=np.float64)
    quantized = np.round(original / 64) * 64  # a coarse, real-looking distortion
    return original, np.clip(quantized, 0, 255)


def test_ssim_of_an_image_with_itself_is_one() -> None:
    original, _ = _pair()
    assert ssim_8bit(original, original) == pytest.approx(1.0, abs=1e-12)


def test_ssim_equals_wang_et_al_written_out() -> None:
    original, quantized = _pair()
    value = ssim_8bit(original, quantized)
    assert value < 0.99  # the pair really differs
    assert value == pytest.approx(wang_ssim(original, quantized), abs=1e-6)


@pytest.mark.parametrize("tile", [1, 7, 1024])
def test_ssim_in_tiles_is_scikit_images_whole_image_value_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, tile: int
) -> None:
    """Memory is bounded by the tile; the value must not depend on it (the study's tables
    keep their bytes)."""
    from skimage.metrics import structural_similarity

    monkeypatch.setattr(metrics, "SSIM_TILE", tile)
    rng = np.random.default_rng(tile)
    original = rng.integers(0, 65536, (37, 29, 3), dtype=np.uint16)  # 16-bit, scaled to 8
    shown = rng.integers(0, 256, (37, 29, 3), dtype=np.uint8)
    whole = structural_similarity(
        original * (255.0 / 65535),
        shown.astype(np.float64),
        data_range=255.0,
        channel_axis=-1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert metrics.ssim_8bit(original, shown, 65535) == whole


def test_ssim_holds_one_float_map_and_the_copies_of_one_tile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scikit-image on the whole image holds about 150 bytes per pixel; in tiles, the float64
    map (8 bytes per pixel) and one tile's copies."""
    import tracemalloc

    monkeypatch.setattr(metrics, "SSIM_TILE", 64)
    rng = np.random.default_rng(0)
    original, shown = rng.integers(0, 256, (2, 600, 600, 3), dtype=np.uint8)
    metrics.ssim_8bit(original, shown)  # scikit-image imports its filters on the first call
    tracemalloc.start()
    try:
        metrics.ssim_8bit(original, shown)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 600 * 600


def test_ssim_refuses_images_of_different_shapes() -> None:
    with pytest.raises(ValueError, match="SSIM of an image"):
        metrics.ssim_8bit(np.zeros((20, 20, 3)), np.zeros((30, 25, 3)))


def test_ssim_is_undefined_for_an_image_smaller_than_its_window() -> None:
    small = np.zeros((10, 40, 3))
    assert math.isnan(ssim_8bit(small, small))


def test_a_fit_is_scored_with_the_mae_and_ssim_of_its_written_image() -> None:
    rgb = np.asarray(small_photo(23, 17))
    pixels = Pixels(rgb, 255, np.arange(23 * 17))
    centres = np.array([[0.1, 0.2, 0.3], [0.8, 0.7, 0.6], [0.5, 0.5, 0.1]])
    features = rgb.reshape(-1, 3) / 255
    labels = ((features[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    shown = np.round(centres * 255)[labels]  # the 8-bit palette the PNG holds
    metrics = score_image(pixels, centres, labels)
    assert metrics["mae"] == pytest.approx(np.abs(rgb.reshape(-1, 3) - shown).mean(), rel=1e-12)
    expected = wang_ssim(rgb.astype(np.float64), shown.reshape(rgb.shape))
    assert metrics["ssim"] == pytest.approx(expected, abs=1e-6)


def _output(method: str, k: int, size: int, psnr: float, **fields: str) -> dict[str, str]:
    return {
        "image": "a",
        "k_requested": str(k),
        "status": "ok",
        "indexed_png_bytes": str(size),
        "original_png_bytes": "5000",
        "psnr_db": str(psnr),
        "mean_ciede2000": "2.0",
        "ssim": "0.9",
        "method": method,
        "impl": method,
        "space": "rgb",
    } | fields


def test_rate_points_average_a_modes_seeds_and_leave_out_failures() -> None:
    fits = [
        _output("python", 4, 1000, 30.0, mode="native", seed="0"),
        _output("python", 4, 1200, 32.0, mode="native", seed="1", ssim="nan"),
        _output("python", 4, 999, 99.0, mode="matched", seed="0"),  # another mode: not drawn
        _output("r", 4, 0, 0.0, mode="native", seed="0", status="error"),  # failed: left out
        _output("python", 4, 900, 25.0, mode="native", seed="0", space="cielab"),  # its own
    ]
    references = [
        _output("pngquant", 4, 800, 29.0),
        _output("pillow_fastoctree", 4, 0, 0.0, status="error"),
    ]
    images = [
        {"image": "a", "n_pixels": "2000", "rejected": ""},
        {"image": "broken", "n_pixels": "", "rejected": "cannot read"},
    ]
    points = rate.points(fits, references, images, "native")
    assert [(p["method"], p["space"], p["k_requested"], p["n_outputs"]) for p in points] == [
        ("pngquant", "", 4, 1),
        ("python", "cielab", 4, 1),
        ("python", "rgb", 4, 2),
    ]
    assert points[1]["psnr_db"] == 25.0
    python = points[2]
    assert python["indexed_png_bytes"] == 1100.0
    assert python["bits_per_pixel"] == 8 * 1100 / 2000
    assert python["original_bits_per_pixel"] == 8 * 5000 / 2000
    assert python["psnr_db"] == 31.0
    assert math.isnan(python["ssim"])  # one seed without SSIM: no mean


def _point(
    method: str, k: int, size: float, psnr: float, ssim: float, space: str = "rgb"
) -> dict[str, object]:
    return {
        "image": "a",
        "method": method,
        "space": "" if method == "pngquant" else space,
        "k_requested": k,
        "indexed_png_bytes": size,
        "bits_per_pixel": size / 100,
        "psnr_db": psnr,
        "mean_ciede2000": 50 - psnr,
        "ssim": ssim,
    }


def test_k_for_quality_takes_the_smallest_k_and_marks_the_smallest_file() -> None:
    points = [
        _point("python", 2, 100.0, 28.0, 0.80),
        _point("python", 4, 150.0, 31.0, math.nan),  # no SSIM: reaches no SSIM target
        _point("python", 8, 220.0, 36.0, 0.97),
        _point("pngquant", 2, 90.0, 29.0, 0.85),
        _point("pngquant", 8, 150.0, 31.5, 0.91),
        _point("python", 2, 80.0, 29.0, 0.95, "oklab"),  # in Oklab: a method of its own
    ]
    rows = rate.k_for_quality(points, {"psnr_db": [30, 40], "mean_ciede2000": [15], "ssim": [0.9]})
    found = {(r["metric"], r["target"], r["method"]): r for r in rows if r["space"] != "oklab"}
    assert found["psnr_db", 30, "python"] | {} == {
        "image": "a",
        "metric": "psnr_db",
        "target": 30,
        "method": "python",
        "space": "rgb",
        "reached": True,
        "k_requested": 4,
        "value": 31.0,
        "indexed_png_bytes": 150.0,
        "bits_per_pixel": 1.5,
        "smallest_file": True,
    }
    # pngquant reaches 30 dB at K = 8 with a file as small as Python's at K = 4: both smallest.
    assert found["psnr_db", 30, "pngquant"]["smallest_file"] is True
    # Python in Oklab reaches SSIM 0.9 at K = 2 with the smallest file of all.
    oklab = {(r["metric"], r["target"]): r for r in rows if r["space"] == "oklab"}
    assert oklab["psnr_db", 30]["reached"] is False
    assert (oklab["ssim", 0.9]["k_requested"], oklab["ssim", 0.9]["smallest_file"]) == (2, True)
    assert found["psnr_db", 40, "python"] == {
        "image": "a",
        "metric": "psnr_db",
        "target": 40,
        "method": "python",
        "space": "rgb",
        "reached": False,
        "smallest_file": False,
    }
    # lower is better for CIEDE2000: 50 - 36 = 14 <= 15 only at Python's K = 8
    assert found["mean_ciede2000", 15, "python"]["k_requested"] == 8
    assert found["mean_ciede2000", 15, "pngquant"]["reached"] is False
    assert found["ssim", 0.9, "python"]["k_requested"] == 8  # K = 4 has no SSIM
    assert found["ssim", 0.9, "pngquant"]["smallest_file"] is False
    assert found["ssim", 0.9, "python"]["smallest_file"] is False


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_k_for_quality_of_the_tiny_study_follows_from_its_tables(tiny_run: Path) -> None:
    """The smallest K per image, method and target, worked out here from fits.csv (the
    native fits, mean over seeds), reference.csv and the config's default targets."""
    tables = tiny_run / "results" / "tables"
    curves: dict[tuple[str, str], dict[int, list[dict[str, str]]]] = defaultdict(dict)
    for row in _read(tables / "fits.csv"):
        if row["mode"] == "native" and row["status"] != "error":
            curves[row["image"], row["impl"]].setdefault(int(row["k_requested"]), []).append(row)
    for row in _read(tables / "reference.csv"):
        if row["status"] != "error":
            curves[row["image"], row["method"]][int(row["k_requested"])] = [row]
    targets = {"psnr_db": (30, 35, 40), "mean_ciede2000": (3, 2, 1), "ssim": (0.9, 0.95)}
    higher = {"psnr_db": True, "mean_ciede2000": False, "ssim": True}
    expected = {}
    for (image, method), by_k in curves.items():
        for metric, values in targets.items():
            for target in values:
                hit = None
                for k in sorted(by_k):
                    value = np.mean([float(row[metric]) for row in by_k[k]])
                    if value >= target if higher[metric] else value <= target:
                        size = np.mean([float(row["indexed_png_bytes"]) for row in by_k[k]])
                        hit = (str(k), size)
                        break
                expected[image, metric, float(target), method] = hit
    written = {}
    for row in _read(tables / "k_for_quality.csv"):
        key = (row["image"], row["metric"], float(row["target"]), row["method"])
        reached = row["reached"] == "true"
        written[key] = (row["k_requested"], float(row["indexed_png_bytes"])) if reached else None
    assert written == expected
    assert any(hit is not None for hit in expected.values())
    assert any(hit is None for hit in expected.values())


def test_the_rate_distortion_figure_draws_one_line_per_method(tiny_run: Path) -> None:
    """Read from the SVG the run wrote: every line carries its method's id."""
    results = tiny_run / "results"
    methods = {row["impl"] for row in _read(results / "tables" / "fits.csv")}
    methods |= {
        r["method"] for r in _read(results / "tables" / "reference.csv") if r["status"] == "ok"
    }
    images = {row["image"] for row in _read(results / "tables" / "images.csv")}
    svg = (results / "figures" / "rate_distortion.svg").read_text(encoding="utf-8")
    drawn = re.findall(r'<g id="method:([a-z_]+)"', svg)
    assert set(drawn) == methods
    # one line per method in each of the three panels of each image
    assert all(drawn.count(method) == 3 * len(images) for method in methods)


def test_a_target_of_an_unknown_metric_is_refused_by_the_schema(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    small_photo().save(tmp_path / "data" / "a.png")
    write_config(
        tmp_path,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["native"],
        quality_targets={"psnr": [30]},
    )
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert "psnr" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("outs", "message"),
    [
        (["a", "b"], "'a': give IMPL/MODE=FOLDER, IMPL one of"),
        (["python=a"], "'python=a': give IMPL/MODE=FOLDER"),
        (["nope/matched=a"], "'nope/matched=a': give IMPL/MODE=FOLDER"),
        (["python/nope=a"], "'python/nope=a': give IMPL/MODE=FOLDER"),
        (["python/matched="], "'python/matched=': give IMPL/MODE=FOLDER"),
        (["r/matched=a", "r/matched=b"], "--out: give each implementation and mode once"),
        (["r/matched=a", "python/matched=a"], "a folder of its own"),
    ],
)
def test_the_images_step_takes_each_folder_by_implementation_and_mode(
    tmp_path: Path, outs: list[str], message: str
) -> None:
    command = [sys.executable, "-m", "kmquant", "images", "p.npz", "--out", *outs]
    done = subprocess.run(
        [*command, "--fits", "f.npz"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert message in done.stderr


def test_each_written_image_has_its_scored_record_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The images step writes a successful fit's PNG, in the folder of its implementation and
    mode, and the record of
    what that PNG shows (scored from the decoded PNG itself here, as a reader of the file
    would), converting the original's colours to CIELAB once for all fits; a failed fit has
    neither, and a fit of an implementation and mode given no folder is refused."""
    from kmquant import compressed, fitting
    from kmquant import pixels as pixels_module
    from kmquant.images import decode_png

    rgb = np.asarray(small_photo(23, 17))
    px = Pixels(rgb, 255, np.arange(23 * 17))
    init = px.fit_features()[[0, 100, 200]].copy()
    good = fitting.fit_image(px, fitting.Task("p", "python", "matched", 3, 0), 300, 1, init)
    native = fitting.fit_image(px, fitting.Task("p", "python", "native", 3, 1), 300, 1)
    failed = fitting.complete(
        fitting.RawFit(None, None, error="e"), px, {"image": "p", "k_requested": 3, "seed": 1}
    )
    fits = [tmp_path / name for name in ("good.npz", "native.npz", "failed.npz")]
    for result, path in zip((good, native, failed), fits, strict=True):
        fitting.save(result, path)
    converted = []
    convert = pixels_module.srgb_to_lab
    monkeypatch.setattr(
        pixels_module, "srgb_to_lab", lambda rgb: converted.append(1) or convert(rgb)
    )
    outs = {
        ("python", "matched"): tmp_path / "out",
        ("python", "native"): tmp_path / "own",
        ("r", "matched"): tmp_path / "none",
    }
    compressed.write_images(px, fits, outs)
    assert converted == [1]
    assert list((tmp_path / "none").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "own").iterdir()) == ["k3_s1.json", "k3_s1.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["k3_s0.json", "k3_s0.png"]
    shown = decode_png((tmp_path / "out" / "k3_s0.png").read_bytes())
    palette, labels, _ = distinct_colours(shown.reshape(-1, 3), 255)
    from_file = score_image(px, palette / 255.0, labels)
    record = json.loads((tmp_path / "out" / "k3_s0.json").read_text())
    assert set(record) == set(from_file)
    for name, value in from_file.items():
        assert record[name] == pytest.approx(value, rel=1e-12), name
    with pytest.raises(compressed.NoFolder, match=r"native\.npz: a fit of python/native"):
        compressed.write_images(px, fits, {("python", "matched"): tmp_path / "again"})
    assert not (tmp_path / "again").exists()
