"""Statistics over images, each checked against an independent computation on small tables
made by hand: quartiles from `statistics`, the Wilcoxon p-value by enumerating every sign, the
bootstrap interval where it is known in closed form."""

from __future__ import annotations

import csv
import itertools
import math
import statistics
from pathlib import Path

import pytest

from kmquant import over_images
from kmquant.over_images import paired, per_image


def fit(image: str, impl: str, value: float, seed: int = 0, **other: object) -> dict[str, str]:
    """A row of fits.csv with one PSNR (and a fixed CIEDE2000 and SSIM)."""
    row = {
        "image": image,
        "impl": impl,
        "mode": "native",
        "space": "rgb",
        "k_requested": "4",
        "seed": str(seed),
        "status": "ok",
        "psnr_db": str(value),
        "mean_ciede2000": "2.0",
        "ssim": "0.9",
    }
    return row | {key: str(value) for key, value in other.items()}


def reference(image: str, method: str, value: float) -> dict[str, str]:
    return {
        "image": image,
        "method": method,
        "k_requested": "4",
        "status": "ok",
        "psnr_db": str(value),
        "mean_ciede2000": "3.0",
        "ssim": "0.8",
    }


def test_each_method_over_images_has_its_median_quartiles_and_mean() -> None:
    """Python's value on an image is the mean over its seeds; a failed fit and an undefined
    value are left out."""
    fits = [
        fit("a", "python", 30),
        fit("a", "python", 32, seed=1),
        fit("b", "python", 35),
        fit("c", "python", 36),
        fit("d", "python", 40),
        fit("e", "python", 99, status="error"),
        fit("e", "python", 50, ssim="nan"),
    ]
    rows = over_images.over_images(per_image(fits, []))
    psnr = next(r for r in rows if r["metric"] == "psnr_db")
    expected = [31.0, 35.0, 36.0, 40.0, 50.0]
    q1, median, q3 = statistics.quantiles(expected, n=4, method="inclusive")
    assert (psnr["n_images"], psnr["median"], psnr["q1"], psnr["q3"]) == (5, median, q1, q3)
    assert psnr["mean"] == pytest.approx(statistics.mean(expected))
    assert psnr["mean_ci_low"] < psnr["mean"] < psnr["mean_ci_high"]
    assert min(expected) <= psnr["mean_ci_low"] and psnr["mean_ci_high"] <= max(expected)
    ssim = next(r for r in rows if r["metric"] == "ssim")
    assert ssim["n_images"] == 4  # the NaN SSIM of image e left out


def test_a_bootstrap_interval_of_two_images_spans_them() -> None:
    """Resampling two values, the mean is the first with probability 1/4 and the second with
    1/4: the 2.5 % and 97.5 % percentiles are the two values themselves."""
    import numpy as np

    assert over_images.bootstrap(np.array([1.0, 5.0]), np.mean) == (1.0, 5.0)
    assert over_images.bootstrap(np.array([2.0, 2.0, 2.0]), np.median) == (2.0, 2.0)


def test_paired_counts_the_direction_of_each_metric_and_tests_the_signs() -> None:
    """Python against pngquant on five images: PSNR differences 1, 2, -3, 4, 5 (higher is
    better), CIEDE2000 one better for pngquant's lower value."""
    differences = [1.0, 2.0, -3.0, 4.0, 5.0]
    fits = [fit(f"i{n}", "python", 30 + d) for n, d in enumerate(differences)]
    refs = [reference(f"i{n}", "pngquant", 30.0) for n in range(5)]
    rows = {r["metric"]: r for r in paired(per_image(fits, refs))}
    psnr = rows["psnr_db"]
    assert (psnr["method_a"], psnr["mode_a"], psnr["method_b"], psnr["mode_b"]) == (
        "python",
        "native",
        "pngquant",
        "reference",
    )
    assert (psnr["n_images"], psnr["a_better"], psnr["equal"], psnr["a_worse"]) == (5, 4, 0, 1)
    assert psnr["median_difference"] == 2.0
    # The exact two-sided p of the signed-rank statistic, every sign pattern enumerated: the
    # negative ranks sum to 3 (the rank of |-3|); as or more extreme are sums <= 3 or >= 12.
    ranks = [1, 2, 3, 4, 5]
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s)
        for signs in itertools.product([0, 1], repeat=5)
    ]
    exact = sum(total <= 3 or total >= 12 for total in sums) / len(sums)
    assert psnr["p_value"] == pytest.approx(exact)
    assert psnr["median_difference_ci_low"] <= 2.0 <= psnr["median_difference_ci_high"]
    ciede = rows["mean_ciede2000"]  # python 2.0 against pngquant 3.0: lower is better
    assert (ciede["a_better"], ciede["a_worse"], ciede["median_difference"]) == (5, 0, -1.0)


def test_implementations_are_paired_within_a_mode_and_with_every_reference() -> None:
    fits = [fit("a", "python", 30), fit("a", "r", 31), fit("a", "r", 32, mode="matched")]
    pairs = {
        (r["method_a"], r["mode_a"], r["method_b"], r["mode_b"])
        for r in paired(per_image(fits, [reference("a", "pngquant", 30)]))
    }
    assert pairs == {
        ("python", "native", "r", "native"),
        ("python", "native", "pngquant", "reference"),
        ("r", "native", "pngquant", "reference"),
        ("r", "matched", "pngquant", "reference"),
    }


def test_a_pair_with_no_difference_has_no_p_value() -> None:
    """Equal values, also two lossless images (an infinite PSNR), differ by nothing."""
    fits = [fit(f"i{n}", "python", value) for n, value in enumerate([30, 30, math.inf])]
    fits += [fit(f"i{n}", "r", value) for n, value in enumerate([30, 30, math.inf])]
    row = next(r for r in paired(per_image(fits, [])) if r["metric"] == "psnr_db")
    assert (row["method_a"], row["method_b"]) == ("python", "r")  # the registry's order
    assert (row["equal"], row["p_value"], row["median_difference"]) == (3, None, 0.0)


def test_the_agreement_of_each_pair_over_images() -> None:
    def pair(image: str, verdict: str, share: str) -> dict[str, str]:
        return {
            "image": image,
            "impl_a": "python",
            "impl_b": "opencv",
            "mode": "matched",
            "space": "rgb",
            "k_requested": "64",
            "seed": "0",
            "verdict": verdict,
            "share_equal_labels": share,
        }

    records = [
        pair("a", "identical", "1.0"),
        pair("b", "different", "0.9"),
        pair("c", "different", "0.8"),
        pair("d", "failed", ""),
    ]
    (row,) = over_images.agreement_over_images(records)
    assert (row["n_images"], row["n_identical"]) == (3, 1)
    assert (
        row["share_equal_labels_min"],
        row["share_equal_labels_median"],
        row["share_equal_labels_max"],
    ) == (0.8, 0.9, 1.0)


def test_the_tables_of_a_study_over_its_images(tiny_run: Path) -> None:
    """The tiny study's two images: every method, K and ranked metric has its row, and every
    paired row counts both images."""
    tables = tiny_run / "results" / "tables"

    def read(name: str) -> list[dict[str, str]]:
        with open(tables / f"{name}.csv", newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    rows = read("over_images")
    assert {r["metric"] for r in rows} == {"psnr_db", "mean_ciede2000", "ssim"}
    assert {(r["method"], r["mode"]) for r in rows} >= {
        ("python", "matched"),
        ("r", "native"),
        ("pngquant", "reference"),
    }
    assert {r["n_images"] for r in rows if r["metric"] == "psnr_db"} == {"2"}
    assert all(
        int(r["a_better"]) + int(r["equal"]) + int(r["a_worse"]) == int(r["n_images"])
        for r in read("paired")
    )
    identical = [
        r
        for r in read("agreement_over_images")
        if (r["impl_a"], r["impl_b"], r["mode"]) == ("python", "r", "matched")
    ]
    assert identical and all(r["n_identical"] == r["n_images"] == "2" for r in identical)


def test_percentiles_are_numpys_and_keep_an_infinite_value_between_equal_ones() -> None:
    import numpy as np

    values = np.random.default_rng(3).random((4, 7))
    q = [2.5, 25, 50, 75, 97.5]
    np.testing.assert_array_equal(
        over_images.percentiles(values, q), np.percentile(values, q, axis=-1).T
    )
    lossless = np.array([30.0, math.inf, math.inf])
    assert list(over_images.percentiles(lossless, [0, 50, 100])) == [30.0, math.inf, math.inf]
