"""Statistics over the images of a study: each method's quality over images, every pair of
methods compared image by image, and the agreement of each pair of implementations over
images (docs/design.md, "Over images").

A method is an implementation in a mode and colour space (its value on an image: the mean
over the seeds it ran there) or a reference quantizer (mode `reference`, no space). Intervals
are percentile bootstrap intervals over images, drawn with a seeded generator, so that every
rerun writes the same bytes."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.implementations import IMPLEMENTATIONS
from kmquant.reference import QUANTIZERS
from kmquant.scoring import METRICS, RANKED
from kmquant.spaces import SPACES
from kmquant.tables import read_csv, write_table

#: The resamples and the seed of every bootstrap interval, and its coverage.
RESAMPLES = 10_000
SEED = 0
COVERAGE = 0.95
#: Mode of a reference quantizer's rows.
REFERENCE = "reference"

OVER_IMAGES_COLUMNS = (
    "method",
    "mode",
    "space",
    "k_requested",
    "metric",
    "n_images",
    "median",
    "q1",
    "q3",
    "mean",
    "mean_ci_low",
    "mean_ci_high",
)
PAIRED_COLUMNS = (
    "method_a",
    "mode_a",
    "space_a",
    "method_b",
    "mode_b",
    "space_b",
    "k_requested",
    "metric",
    "n_images",
    "a_better",
    "equal",
    "a_worse",
    "median_difference",
    "median_difference_ci_low",
    "median_difference_ci_high",
    "p_value",
)
AGREEMENT_OVER_IMAGES_COLUMNS = (
    "impl_a",
    "impl_b",
    "mode",
    "space",
    "k_requested",
    "seed",
    "n_images",
    "n_identical",
    "share_equal_labels_min",
    "share_equal_labels_median",
    "share_equal_labels_max",
)

Method = tuple[str, str, str]  # (implementation or reference quantizer, mode, colour space)
Values = dict[tuple[Method, int, str], dict[str, float]]  # (method, K, metric) -> image -> value


def per_image(fits: Iterable[Mapping[str, str]], references: Iterable[Mapping[str, str]]) -> Values:
    """Each method's value of each ranked metric on each image and K; failed outputs and
    undefined values (SSIM of an image smaller than its window) are left out."""
    seeds: dict[tuple[Method, int, str], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    rows = [((r["impl"], r["mode"], r["space"]), r) for r in fits]
    rows += [((r["method"], REFERENCE, ""), r) for r in references]
    for method, row in rows:
        for metric in RANKED:
            if row["status"] != "error" and not math.isnan(float(row[metric])):
                key = (method, int(row["k_requested"]), metric)
                seeds[key][row["image"]].append(float(row[metric]))
    return {
        key: {image: float(np.mean(found)) for image, found in by_image.items()}
        for key, by_image in seeds.items()
    }


def percentiles(values: np.ndarray, q: list[float]) -> np.ndarray:
    """`numpy.percentile` (linear interpolation) along the last axis, except that between two
    equal values it is that value, also where both are infinite (a lossless PSNR), where
    NumPy's interpolation gives NaN."""
    ordered = np.sort(values, axis=-1)
    position = np.array(q) / 100 * (ordered.shape[-1] - 1)
    low, high = np.floor(position).astype(int), np.ceil(position).astype(int)
    below, above = ordered[..., low], ordered[..., high]
    t = position - low
    with np.errstate(invalid="ignore"):  # NumPy's own interpolation, from the nearer end
        between = np.where(t >= 0.5, above - (above - below) * (1 - t), below + (above - below) * t)
    return np.where(below == above, below, between)


@cache
def _resamples(n: int) -> np.ndarray:
    """The RESAMPLES draws of n indices every bootstrap of n values uses (the same draws for
    every method, K and metric, so they are drawn once per n)."""
    drawn = np.random.default_rng(SEED).integers(0, n, (RESAMPLES, n))
    drawn.flags.writeable = False
    return drawn


def bootstrap(values: np.ndarray, statistic: Callable[..., np.ndarray]) -> tuple[float, float]:
    """The percentile bootstrap interval (COVERAGE) of `statistic` over `values`, resampled
    RESAMPLES times by a generator seeded with SEED."""
    drawn = _resamples(len(values))
    low, high = percentiles(
        statistic(values[drawn], axis=1), [50 * (1 - COVERAGE), 50 * (1 + COVERAGE)]
    )
    return float(low), float(high)


def _order(method: Method) -> tuple[int, int, str, int]:
    """Implementations in the registry's order, then the reference quantizers in theirs; an
    implementation's modes by name, its spaces in their registry's order."""
    name, mode, space = method
    names, spaces = [*IMPLEMENTATIONS, *QUANTIZERS], list(SPACES)
    return (
        names.index(name) if name in names else len(names),
        mode == REFERENCE,
        mode,
        spaces.index(space) if space in spaces else -1,
    )


def _compared(a: Method, b: Method) -> bool:
    """Whether `paired` compares two methods: any method with a reference quantizer, two
    implementations in one mode and space, and one implementation in one mode in two spaces."""
    if REFERENCE in (a[1], b[1]):
        return True
    return a[1:] == b[1:] or (a[0], a[1]) == (b[0], b[1])


def over_images(values: Values) -> list[dict[str, Any]]:
    """Per method, K and metric: over the images, the median and quartiles, the mean and its
    bootstrap interval."""
    rows = []
    for (method, k, metric), by_image in values.items():
        found = np.array([by_image[image] for image in sorted(by_image)])
        q1, median, q3 = percentiles(found, [25, 50, 75])
        low, high = bootstrap(found, np.mean)
        rows.append(
            {
                "method": method[0],
                "mode": method[1],
                "space": method[2],
                "k_requested": k,
                "metric": metric,
                "n_images": len(found),
                "median": float(median),
                "q1": float(q1),
                "q3": float(q3),
                "mean": float(np.mean(found)),
                "mean_ci_low": low,
                "mean_ci_high": high,
            }
        )
    return rows


def paired(values: Values) -> list[dict[str, Any]]:
    """Per pair of methods (`_compared`), K and metric, on the images both have: on how many
    the first is better, equal or worse (by the metric's direction), the median of the
    differences (first minus second) with its bootstrap interval, and the p-value of the
    Wilcoxon signed-rank test (SciPy's, two-sided; none where no difference is nonzero)."""
    from scipy.stats import wilcoxon

    methods = sorted({method for method, _, _ in values}, key=_order)
    rows = []
    for k, metric in sorted({(k, metric) for _, k, metric in values}):
        sign = 1.0 if METRICS[metric].higher_is_better else -1.0
        for a, b in combinations(methods, 2):
            if not _compared(a, b):
                continue
            first, second = values.get((a, k, metric), {}), values.get((b, k, metric), {})
            common = sorted(set(first) & set(second))
            if not common:
                continue
            # Equal values differ by 0, also where both are infinite (a lossless PSNR).
            difference = np.array(
                [first[i] - second[i] if first[i] != second[i] else 0.0 for i in common]
            )
            low, high = bootstrap(difference, np.median)
            rows.append(
                {
                    "method_a": a[0],
                    "mode_a": a[1],
                    "space_a": a[2],
                    "method_b": b[0],
                    "mode_b": b[1],
                    "space_b": b[2],
                    "k_requested": k,
                    "metric": metric,
                    "n_images": len(common),
                    "a_better": int(np.sum(sign * difference > 0)),
                    "equal": int(np.sum(difference == 0)),
                    "a_worse": int(np.sum(sign * difference < 0)),
                    "median_difference": float(np.median(difference)),
                    "median_difference_ci_low": low,
                    "median_difference_ci_high": high,
                    "p_value": float(wilcoxon(difference).pvalue) if difference.any() else None,
                }
            )
    return rows


def agreement_over_images(records: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Per pair of implementations, mode, K and seed, over the images where both fits ran
    (not `failed`): how many, on how many the pair was identical, and the lowest, median and
    highest share of equal labels."""
    found: dict[tuple[str, ...], list[Mapping[str, str]]] = defaultdict(list)
    for row in records:
        if row["verdict"] != "failed":
            key = (row["impl_a"], row["impl_b"], row["mode"], row["space"])
            found[(*key, row["k_requested"], row["seed"])].append(row)
    rows = []
    for (a, b, mode, space, k, seed), pairs in found.items():
        shares = np.array([float(row["share_equal_labels"]) for row in pairs])
        rows.append(
            {
                "impl_a": a,
                "impl_b": b,
                "mode": mode,
                "space": space,
                "k_requested": int(k),
                "seed": int(seed),
                "n_images": len(pairs),
                "n_identical": sum(row["verdict"] == "identical" for row in pairs),
                "share_equal_labels_min": float(shares.min()),
                "share_equal_labels_median": float(np.median(shares)),
                "share_equal_labels_max": float(shares.max()),
            }
        )
    return rows


def write(
    fits: str | Path,
    references: str | Path,
    agreement: str | Path,
    out_over_images: str | Path,
    out_paired: str | Path,
    out_agreement: str | Path,
) -> None:
    """over_images.csv, paired.csv and agreement_over_images.csv from the study's tables."""
    values = per_image(read_csv(fits), read_csv(references))
    write_table(out_over_images, OVER_IMAGES_COLUMNS, over_images(values))
    write_table(out_paired, PAIRED_COLUMNS, paired(values))
    write_table(
        out_agreement, AGREEMENT_OVER_IMAGES_COLUMNS, agreement_over_images(read_csv(agreement))
    )
