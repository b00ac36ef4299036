"""The front page of the Snakemake report (results/report/workflow.rst): what was run, what came
out of it, and with which versions, written from the run's own tables and environment.json."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

from kmquant.agreement import CAUSES, CENTRE_TOLERANCE
from kmquant.atomic import write_text
from kmquant.conversions import CONVERTERS, REFERENCE
from kmquant.datasets import DATASETS
from kmquant.implementations import HEADLINE, IMPLEMENTATIONS, ordered
from kmquant.modes import MODES, rate_mode
from kmquant.over_images import REFERENCE as REFERENCE_MODE
from kmquant.reference import QUANTIZERS
from kmquant.scoring import METRICS, RANKED
from kmquant.spaces import RGB, SPACES
from kmquant.study import figure_images
from kmquant.tables import in_srgb, read_csv, read_json

VERDICTS = ("identical", "same_image", "different", "failed")


def _literal(values: Sequence[Any]) -> str:
    return ", ".join(f"``{v}``" for v in values)


def _numbers(values: Sequence[Any]) -> list[int]:
    return sorted({int(v) for v in values})


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in (header, *rows):
        lines += [f"   * - {row[0]}", *(f"     - {cell}" for cell in row[1:])]
    return "\n".join(lines)


def _identical_by_k(pairs: Sequence[Mapping[str, str]], modes: Sequence[str]) -> str:
    """Identical pairs out of all pairs, per K (rows) and mode (columns)."""
    counts = Counter((int(row["k_requested"]), row["mode"]) for row in pairs)
    identical = Counter(
        (int(row["k_requested"]), row["mode"]) for row in pairs if row["verdict"] == "identical"
    )
    ks = _numbers([row["k_requested"] for row in pairs])
    return _table(
        ["K", *modes],
        [[k, *(f"{identical[k, m]} / {counts[k, m]}" for m in modes)] for k in ks],
    )


def _best_of(rows: Sequence[Mapping[str, str]]) -> str:
    """The best of ranking rows of one image, K and metric, with its rank (an implementation
    outside sRGB named with its space)."""
    if not rows:
        return "-"
    rank = min(int(row["rank"]) for row in rows)
    names = ", ".join(_method(row) for row in rows if int(row["rank"]) == rank)
    return f"{names} ({rank})"


def _and(words: Sequence[str]) -> str:
    """Words as a sentence lists them: "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def _listed(labels: Sequence[str]) -> str:
    """Labels as a sentence lists them, those of one owner after the first without it:
    "pngquant, libimagequant and Pillow's median cut, maximum coverage and fast octree"."""
    groups: list[tuple[str, list[str]]] = []
    for label in labels:
        owner, _, rest = label.partition("'s ")
        if rest and groups and groups[-1][0] == owner:
            groups[-1][1].append(rest)
        else:
            groups.append((owner, [rest]) if rest else ("", [label]))
    return _and([f"{owner}'s {_and(rests)}" if owner else rests[0] for owner, rests in groups])


def _tools(references: Sequence[Mapping[str, str]]) -> tuple[list[str], list[str]]:
    """The labels of the reference quantizers in `references` (rows of reference.csv), in the
    registry's order, and of those among them that wrote no PNG at any K."""
    ran = {row["method"] for row in references}
    names = [name for name in QUANTIZERS if name in ran] + sorted(ran - set(QUANTIZERS))
    failed = [
        name
        for name in names
        if all(row["status"] == "error" for row in references if row["method"] == name)
    ]

    def label(name: str) -> str:
        return QUANTIZERS[name].label if name in QUANTIZERS else name

    return [label(name) for name in names], [label(name) for name in failed]


def _against_references(
    ranking: Sequence[Mapping[str, str]], references: Sequence[Mapping[str, str]]
) -> str:
    """The reference quantizers that ran (those in `references`, rows of reference.csv), and
    per image and K: the best method by each ranked metric, and the best implementation of
    K-means with its rank among all methods."""
    tools, failed = _tools(references)
    if not ranking or not tools:
        return ""
    no_png = f"; {_listed(failed)} wrote no PNG at any K (the table says why)" if failed else ""
    groups: dict[tuple[str, int], dict[str, list[Mapping[str, str]]]] = {}
    for row in ranking:
        key = (row["image"], int(row["k_requested"]))
        groups.setdefault(key, {}).setdefault(row["metric"], []).append(row)
    rows = [
        [image, k]
        + [
            cell
            for metric in RANKED
            for cell in (
                _best_of(by_metric.get(metric, [])),
                _best_of([r for r in by_metric.get(metric, []) if r["method"] in IMPLEMENTATIONS]),
            )
        ]
        for (image, k), by_metric in sorted(groups.items())
    ]
    n = max(int(row["n_methods"]) for row in ranking)
    ranked = ", the best ".join(METRICS[metric].label for metric in RANKED)
    table = _table(
        [
            "image",
            "K",
            *[
                head
                for metric in RANKED
                for head in (f"best {METRICS[metric].label}", "best K-means")
            ],
        ],
        rows,
    )
    return f"""
Against the quantizers people use
---------------------------------

The same images at the same K, quantized by {_listed(tools)} (no dithering), scored by the same
code from the PNGs they wrote (``results/tables/reference.csv``){no_png}. Per image and K, the
method with the best {ranked}, and the implementation of K-means whose best fit ranks highest
among the (up to) {n} methods, with its rank (1 is best; an implementation in each colour space
is a method of its own; ``results/tables/ranking.csv`` ranks every method):

{table}
"""


def _what_a_byte_buys(k_for_quality: Sequence[Mapping[str, str]]) -> str:
    """Per image and target quality: the method that reaches it with the smallest file, and
    the smaller of the two K-means files that reach it, with their K and sizes."""
    if not k_for_quality:
        return ""
    groups: dict[tuple[str, str, str], list[Mapping[str, str]]] = {}
    for row in k_for_quality:
        groups.setdefault((row["image"], row["metric"], row["target"]), []).append(row)

    def entry(rows: Sequence[Mapping[str, str]]) -> str:
        reached = [row for row in rows if row["reached"] == "true"]
        if not reached:
            return "not reached"
        size = min(float(row["indexed_png_bytes"]) for row in reached)
        best = [row for row in reached if float(row["indexed_png_bytes"]) == size]
        names = ", ".join(f"{_method(row)} (K = {row['k_requested']})" for row in best)
        return f"{names}: {size:,.0f} bytes"

    table = _table(
        ["image", "target", "smallest file", "smallest K-means file"],
        [
            [
                image,
                METRICS[metric].target_text(target),
                entry(rows),
                entry([row for row in rows if row["method"] in IMPLEMENTATIONS]),
            ]
            for (image, metric, target), rows in groups.items()
        ],
    )
    return f"""
What a byte buys
----------------

Compression is judged by quality against file size: the rate-distortion figure
(``results/figures/rate_distortion.png``, first in the results below) draws, per image, PSNR,
mean CIEDE2000 and SSIM against the bits per pixel of the real indexed PNG, one line per method.
Asked the other way round, as users of a quantizer ask it: which method reaches a target quality
with the smallest file (the smallest K of the grid that reaches it, per method, is in
``results/tables/k_for_quality.csv``)?

{table}
"""


def _method(row: Mapping[str, str]) -> str:
    """A method of a table row, an implementation outside sRGB named with its space."""
    space = row.get("space", RGB)
    return row["method"] + ("" if space in (RGB, "") else f" in {_space_name(space)}")


def _credits(images: Sequence[Mapping[str, str]]) -> str:
    """Which images came from a dataset, where their credit is, and whether the study counts
    their colours as the dataset does."""
    lines = []
    for name in sorted({row["dataset"] for row in images if row.get("dataset")}):
        rows = [row for row in images if row["dataset"] == name and not row["rejected"]]
        equal = sum(row["n_distinct_colours"] == row["dataset_n_colours"] for row in rows)
        cited = f" ({DATASETS[name].citation})" if name in DATASETS else ""
        lines.append(
            f"- {len(rows)} image(s) of the dataset ``{name}``{cited}; each one's licence, "
            "author and source are in ``results/tables/images.csv``. The study counts as many "
            f"distinct colours as the dataset does in {equal} of {len(rows)}."
        )
    return "\n".join(lines)


def _agreement_findings(matched: Sequence[Mapping[str, str]]) -> list[str]:
    """One line per pair of implementations: on how many images it was identical from the
    shared start at each K it ran, and where it was not everywhere identical, how many pixels
    it labels differently at the largest such K."""
    lines = []
    for a, b in dict.fromkeys((row["impl_a"], row["impl_b"]) for row in matched):
        rows = sorted(
            (row for row in matched if (row["impl_a"], row["impl_b"]) == (a, b)),
            key=lambda row: int(row["k_requested"]),
        )
        ks = ", ".join(row["k_requested"] for row in rows)
        if all(row["n_identical"] == row["n_images"] for row in rows):
            n = " or ".join(sorted({row["n_images"] for row in rows}, key=int))
            lines.append(f"- {a} = {b}: identical on {n} of {n} images at every K it ran ({ks})")
            continue
        identical = ", ".join(
            f"{row['n_identical']} of {row['n_images']} images at K = {row['k_requested']}"
            for row in rows
        )
        worst = next(row for row in reversed(rows) if row["n_identical"] != row["n_images"])
        lines.append(
            f"- {a} and {b}: identical on {identical}; at K = {worst['k_requested']} "
            f"they label a median of {_percent(1 - float(worst['share_equal_labels_median']))} "
            f"of the pixels differently (at most "
            f"{_percent(1 - float(worst['share_equal_labels_min']))})"
        )
    return lines


def _over_images(
    agreement: Sequence[Mapping[str, str]], paired: Sequence[Mapping[str, str]]
) -> str:
    """The findings over the images: on how many images each pair of implementations is
    identical from the shared start, and how the headline implementations compare with each
    reference quantizer at the largest K, in the mode that stands for K-means there."""
    if not agreement or max(int(row["n_images"]) for row in agreement) < 2:
        return ""
    matched = [row for row in agreement if row["mode"] == "matched"]
    first = min((int(row["seed"]) for row in matched), default=0)
    identical = _agreement_findings([row for row in matched if int(row["seed"]) == first])
    largest = max((int(row["k_requested"]) for row in paired), default=0)
    mode = rate_mode([row["mode_a"] for row in paired if row["mode_a"] in MODES])
    against = [
        row
        for row in paired
        if int(row["k_requested"]) == largest
        and row["mode_b"] == "reference"
        and row["mode_a"] == mode
        and row["method_a"] in HEADLINE
    ]
    versus = _table(
        ["K-means", "reference", "metric", "K-means better on", "median difference (95 %)", "p"],
        [
            [
                row["method_a"],
                row["method_b"],
                METRICS[row["metric"]].label,
                f"{row['a_better']} of {row['n_images']} images",
                f"{_number(row['median_difference'])} ({_number(row['median_difference_ci_low'])}"
                f" to {_number(row['median_difference_ci_high'])}) "
                f"{METRICS[row['metric']].unit}".strip(),
                f"{float(row['p_value']):.2g}" if row["p_value"] else "-",
            ]
            for row in against
        ],
    )
    return f"""
Over the images
---------------

From the shared start (matched mode, first seed), on how many images each pair of
implementations reaches the identical fit (``results/tables/agreement_over_images.csv``; the
causes image by image are in ``agreement.csv``):

{chr(10).join(identical)}

Python and R ({mode} mode, each image's value the mean over seeds) against each reference
quantizer at K = {largest}, image by image (difference: K-means minus the reference, median over
the images with its 95 % bootstrap interval; p: the Wilcoxon signed-rank test;
``results/tables/paired.csv`` has every pair, K and metric, and ``over_images.csv`` each
method's median, quartiles and mean with its interval):

{versus}
"""


def _conversions(rows: Sequence[Mapping[str, str]]) -> str:
    """How far each language's own conversion to CIELAB lies from the reference's, and why."""
    if not rows:
        return ""
    found = []
    for name in [name for name in CONVERTERS if name != REFERENCE]:
        own = [row for row in rows if (row["a"], row["b"]) == (REFERENCE, name)]
        means = [float(row["mean_delta_e00"]) for row in own]
        largest = max(float(row["max_delta_e76"]) for row in own)
        found.append(
            f"{CONVERTERS[name].label} by at most {largest:.2g} in CIE76 and by a mean "
            f"CIEDE2000 of {min(means):.2g} to {max(means):.2g} per image"
        )
    constants = "; ".join(f"{c.label} takes {c.constants}" for c in CONVERTERS.values())
    return f"""
Colour conversions
------------------

The study scores in CIELAB with scikit-image's conversion from sRGB. On the distinct colours of
the {len({row["image"] for row in rows})} image(s), each language's own conversion differs from
{CONVERTERS[REFERENCE].label}'s, the field's reference (``results/tables/conversions.csv``):
{_and(found)}. Each is the CIE's formula with constants of its own: {constants}
(``docs/design.md``, "Colour conversions").
"""


def _number(text: str) -> str:
    return f"{float(text):.3g}"


#: What a colour space is weighed on: the perceived error it is chosen for (mean CIEDE2000)
#: and the structure it may cost (SSIM).
SPACE_METRICS = ("mean_ciede2000", "ssim")


def _space_name(space: str) -> str:
    return SPACES[space].label


def _proof_by_space(pairs: Sequence[Mapping[str, str]], spaces: Sequence[str]) -> str:
    """Per space: the pairs from the proof's start that are identical out of all, the pixels
    tied at that start, and which pairs were not always identical."""
    proof = next(name for name, mode in MODES.items() if mode.off_lattice)
    rows = []
    for space in spaces:
        own = [row for row in pairs if row["space"] == space and row["mode"] == proof]
        parted = [row for row in own if row["verdict"] != "identical"]
        apart = sorted({f"{row['impl_a']} / {row['impl_b']}" for row in parted})
        tied = max((int(row["tied_initial_pixels"] or 0) for row in own), default=0)
        rows.append(
            [
                _space_name(space),
                f"{len(own) - len(parted)} of {len(own)}",
                tied,
                ", ".join(apart) or "-",
            ]
        )
    header = [f"space ({proof} mode)", "pairs identical", "most pixels tied at a start"]
    return _table([*header, "pairs not always identical"], rows)


#: A method of the section on spaces: an implementation and its space, or a reference
#: quantizer and "".
SpaceMethod = tuple[str, str]
#: Per (image, K): each method's value of each metric of SPACE_METRICS.
Cells = dict[tuple[str, int], dict[SpaceMethod, dict[str, float]]]


def _space_cells(
    fits: Sequence[Mapping[str, str]],
    references: Sequence[Mapping[str, str]],
    impl: str,
    mode: str,
    spaces: Sequence[str],
) -> Cells:
    """Every image and K at which `impl` ran in `mode` in a space besides sRGB: its value in
    each space, the mean over the seeds it ran there in every space (so that sRGB's other
    seeds weigh nothing), and each reference quantizer's."""
    own = [r for r in fits if (r["impl"], r["mode"]) == (impl, mode) and r["status"] != "error"]
    cells: Cells = {}
    for image, k in sorted(
        {(r["image"], int(r["k_requested"])) for r in own if r["space"] in spaces}
    ):
        here = [r for r in own if (r["image"], int(r["k_requested"])) == (image, k)]
        ran = {r["space"] for r in here}
        seeds = set.intersection(*({r["seed"] for r in here if r["space"] == s} for s in ran))
        cell = cells.setdefault((image, k), {})
        for space in ran:
            rows = [r for r in here if r["space"] == space and r["seed"] in seeds]
            cell[impl, space] = {m: fmean(float(r[m]) for r in rows) for m in SPACE_METRICS}
        for row in references:
            if (row["image"], int(row["k_requested"])) == (image, k) and row["status"] != "error":
                cell[row["method"], ""] = {m: float(row[m]) for m in SPACE_METRICS}
    return cells


def _cell(
    points: Mapping[SpaceMethod, Mapping[str, float]], metric: str
) -> dict[SpaceMethod, float]:
    """Each method's value of `metric` at one image and K."""
    return {method: values[metric] for method, values in points.items()}


def _better(a: float, b: float, metric: str) -> bool:
    return a > b if METRICS[metric].higher_is_better else a < b


def _space_counts(
    cells: Cells,
    impl: str,
    space: str,
) -> str:
    """On how many (image, K) K-means in `space` beats K-means in sRGB and each reference
    quantizer, per metric of SPACE_METRICS."""
    rivals = [(impl, RGB)] + [
        (name, "") for name in QUANTIZERS if any((name, "") in c for c in cells.values())
    ]
    said = []
    for metric in SPACE_METRICS:
        wins = []
        for rival in rivals:
            both = [_cell(c, metric) for c in cells.values() if (impl, space) in c and rival in c]
            won = sum(_better(v[impl, space], v[rival], metric) for v in both)
            name = f"K-means in {_space_name(RGB)}" if rival[0] == impl else rival[0]
            wins.append(f"{name} on {won} of {len(both)}")
        better = "lower" if not METRICS[metric].higher_is_better else "higher"
        said.append(f"a {better} {METRICS[metric].label} than {_and(wins)}")
    return f"- in {_space_name(space)}: {_and(said)}"


def _ranked(values: Mapping[SpaceMethod, float], metric: str) -> list[SpaceMethod]:
    """The methods of `values`, best first by `metric`."""
    sign = -1.0 if METRICS[metric].higher_is_better else 1.0
    return sorted(values, key=lambda method: sign * values[method])


def _space_table(
    cells: Cells,
    impl: str,
    spaces: Sequence[str],
) -> str:
    """Per image, K and metric of SPACE_METRICS: K-means in each space and the best reference
    quantizer, the best of them in bold."""
    shown = [RGB, *spaces]
    rows = []
    for (image, k), points in cells.items():
        for metric in SPACE_METRICS:
            values = _cell(points, metric)
            tools = _ranked({m: v for m, v in values.items() if not m[1]}, metric)[:1]
            drawn = {m: values[m] for m in [*((impl, s) for s in shown), *tools] if m in values}
            best = values[_ranked(drawn, metric)[0]]
            text = {
                m: f"**{value:.4g}**" if value == best else f"{value:.4g}"
                for m, value in drawn.items()
            }
            tool = f"{tools[0][0]}: {text[tools[0]]}" if tools else "-"
            rows.append(
                [image, k, METRICS[metric].label, *(text.get((impl, s), "-") for s in shown), tool]
            )
    header = ["image", "K", "metric", *(f"K-means in {_space_name(s)}" for s in shown)]
    return _table([*header, "best quantizer"], rows)


def _is_srgb_of(row: Mapping[str, str], impl: str) -> bool:
    """Whether the second method of a paired.csv row is `impl` in sRGB."""
    return (row["method_b"], row["space_b"]) == (impl, RGB)


def _spaces_over_images(
    paired: Sequence[Mapping[str, str]], impl: str, mode: str, spaces: Sequence[str]
) -> str:
    """K-means in each space against K-means in sRGB and each reference quantizer over the
    images, at the largest K it ran in the space (paired.csv)."""
    rows = []
    for space in spaces:
        first = (impl, mode, space)
        own = [
            seen
            for row in paired
            if row["metric"] in SPACE_METRICS
            and (seen := _seen_from(row, first)) is not None
            and (seen["mode_b"] == REFERENCE_MODE or _is_srgb_of(seen, impl))
        ]
        largest = max((int(row["k_requested"]) for row in own), default=0)
        rows += [
            [
                _space_name(space),
                f"K-means in {_space_name(row['space_b'])}" if row["space_b"] else row["method_b"],
                METRICS[row["metric"]].label,
                largest,
                f"{row['a_better']} of {row['n_images']} images",
                f"{_number(row['median_difference'])} ({_number(row['median_difference_ci_low'])}"
                f" to {_number(row['median_difference_ci_high'])})",
                f"{float(row['p_value']):.2g}" if row["p_value"] else "-",
            ]
            for row in own
            if int(row["k_requested"]) == largest
        ]
    if not rows:
        return ""
    table = _table(
        ["K-means in", "against", "metric", "K", "better on", "median difference (95 %)", "p"],
        rows,
    )
    return f"""
Over the images, K-means in each space against K-means in sRGB and each reference quantizer at
the largest K it ran there (each image's value the mean over the method's seeds; the
difference: the space's value minus the other's, median over the images with its 95 % bootstrap
interval; p: the Wilcoxon signed-rank test; ``results/tables/paired.csv``):

{table}
"""


def _seen_from(row: Mapping[str, str], method: tuple[str, str, str]) -> dict[str, str] | None:
    """A row of paired.csv with `method` (name, mode, space) as its first method, its
    counts and differences turned round where it is the second; None where it is neither."""
    a, b = ([row[f"{key}_{side}"] for key in ("method", "mode", "space")] for side in "ab")
    if tuple(a) == method:
        return dict(row)
    if tuple(b) != method:
        return None
    turned = {f"{key}_a": row[f"{key}_b"] for key in ("method", "mode", "space")}
    turned |= {f"{key}_b": row[f"{key}_a"] for key in ("method", "mode", "space")}
    negated = {
        "median_difference": str(0.0 - float(row["median_difference"])),
        "median_difference_ci_low": str(0.0 - float(row["median_difference_ci_high"])),
        "median_difference_ci_high": str(0.0 - float(row["median_difference_ci_low"])),
    }
    return dict(row) | turned | negated | {"a_better": row["a_worse"], "a_worse": row["a_better"]}


def _spaces(
    fits: Sequence[Mapping[str, str]],
    pairs: Sequence[Mapping[str, str]],
    references: Sequence[Mapping[str, str]],
    paired: Sequence[Mapping[str, str]],
) -> str:
    """The colour spaces besides sRGB: what ran in them and how it ended, the proof in each,
    and what K-means in each gives against K-means in sRGB and the reference quantizers, per
    image and K and over the images. A table without a space column is of sRGB alone."""
    ran = {row.get("space", RGB) for row in fits}
    spaces = [space for space in SPACES if space != RGB and space in ran]
    if not spaces:
        return ""
    own = [row for row in fits if row["space"] in spaces]
    impls = ordered([row["impl"] for row in own])
    impl = next((name for name in HEADLINE if name in impls), impls[0])
    mode = rate_mode([row["mode"] for row in fits])
    cells = _space_cells(fits, references, impl, mode, spaces)
    status = Counter(row["status"] for row in own)
    outside = sum(int(row["n_out_of_gamut"] or 0) for row in own)
    centres = sum(int(row["k_effective"]) for row in own if row["status"] != "error")
    counts = "\n".join(_space_counts(cells, impl, space) for space in spaces)
    return f"""
Colour spaces
-------------

Besides sRGB code values, the fits clustered in {_and([_space_name(s) for s in spaces])}
({_literal(spaces)}): {_literal(impls)} at K {_literal(_numbers([r["k_requested"] for r in own]))},
seeds {_literal(_numbers([r["seed"] for r in own]))}, in the modes
{_literal([m for m in MODES if m in {r["mode"] for r in own}])}; of these {len(own)} fits,
{status["ok"]} succeeded, {status["warning"]} warned and {status["error"]} failed. A fit in a
space labels each pixel with its nearest centre there, and its PNG shows each centre as the
sRGB colour it is, clipped to the gamut ({outside} of {centres} centres lay outside it by more
than half an 8-bit step). The proof's start in a space is the same colours as in sRGB,
transformed into it. Identical pairs (the same labels, centres taken back to sRGB within
{CENTRE_TOLERANCE:g}) out of all pairs from that start, per space:

{_proof_by_space(pairs, spaces)}

What K-means gives in each space ({impl}, {mode} mode; each value the mean over the seeds it
ran in every space), per image and K it ran there, against K-means in sRGB and the best
reference quantizer (the best in bold; ``results/tables/rate_distortion.csv`` has each file's
bits per pixel, and ``k_for_quality.csv`` the smallest file that reaches each target). K-means
in each space had

{counts}

of the (image, K) both ran:

{_space_table(cells, impl, spaces)}
{_spaces_over_images(paired, impl, mode, spaces)}"""


def _lock_line(lock: Mapping[str, str] | None) -> str:
    if lock is None:
        return "- Python packages not installed from the project's lock files"
    return f"- Python packages installed from ``{lock['file']}`` (sha256 ``{lock['sha256']}``)"


def _named_versions(versions: Mapping[str, str | None]) -> str:
    return ", ".join(
        f"``{name}`` {version or 'not installed'}" for name, version in versions.items()
    )


def _versions(environment: Mapping[str, Any]) -> str:
    packages = environment["packages"]
    blas = {b.get("internal_api") for b in environment.get("python_blas", [])} - {None}
    r = environment["r_build"]
    lines = [
        f"- Python {environment['python_version']}: "
        + ", ".join(f"{name} {version}" for name, version in packages.items() if version),
        f"- {r['version']}; BLAS {r['blas'] or 'R internal'}; LAPACK {r['lapack']}",
        f"- the implementations: {_named_versions(environment['implementations'])}",
    ]
    tools = environment.get("reference_quantizers") or {}
    if tools:
        order = [name for name in QUANTIZERS if name in tools] + sorted(
            set(tools) - set(QUANTIZERS)
        )
        listed = _named_versions({name: tools[name] for name in order})
        lines.append(f"- the reference quantizers: {listed}")
    lines += [
        _lock_line(environment.get("lock")),
        f"- NumPy's BLAS: {', '.join(sorted(blas)) or 'unknown'}",
        f"- {environment['os']}, kernel {environment['kernel']}; {environment['cpu']}"
        f" ({environment['cpu_count']} logical CPUs)",
    ]
    return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{100 * share:.4g} %"


def _where(row: Mapping[str, str]) -> str:
    return f"{row['image']}, K = {row['k_requested']}, seed {row['seed']}"


def _groups(pairs: Sequence[Mapping[str, str]]) -> list[list[str]]:
    """The implementations that reach the same fit as each other in every run of `pairs`
    that both ran: the classes of pairs that are always identical (singletons left out)."""
    always: dict[tuple[str, str], bool] = {}
    for row in pairs:
        key = (row["impl_a"], row["impl_b"])
        always[key] = always.get(key, True) and row["verdict"] == "identical"
    group = {impl: {impl} for pair in always for impl in pair}
    for (a, b), same in always.items():
        if same and group[a] is not group[b]:
            merged = group[a] | group[b]
            for impl in merged:
                group[impl] = merged
    classes = {frozenset(members) for members in group.values() if len(members) > 1}
    names = list(IMPLEMENTATIONS)
    return sorted((ordered(list(members)) for members in classes), key=lambda g: names.index(g[0]))


def _why(rows: Sequence[Mapping[str, str]], a: str, b: str) -> str:
    """The causes recorded for a pair's runs that are not identical, each with how often."""
    counted = Counter(cause for row in rows for cause in row["causes"].split())
    words = {
        "emptied": "clusters emptied",
        "ties": "pixels exactly tied at the start",
        "max_iter": "a run stopped at max_iter",
        "unexplained": "no known cause (a finding to investigate)",
    }
    said = []
    for cause in CAUSES:
        if not counted[cause]:
            continue
        if cause == "float32":
            text = " and ".join(
                f"{IMPLEMENTATIONS[name].library} computes in float32"
                for name in (a, b)
                if not IMPLEMENTATIONS[name].exact
            )
        elif cause == "iteration_cap":
            text = " and ".join(
                f"{IMPLEMENTATIONS[name].library} stops after at most "
                f"{IMPLEMENTATIONS[name].iteration_cap} iterations"
                for name in (a, b)
                if IMPLEMENTATIONS[name].iteration_cap is not None
            )
        else:
            text = words[cause]
        said.append(f"{text} ({counted[cause]} of {len(rows)})")
    return "; ".join(said) or "-"


def _partings(rows: Sequence[Mapping[str, str]]) -> str:
    found = [
        (int(row["parting_iteration"]), int(row["parting_pixels"]))
        for row in rows
        if row["parting_iteration"]
    ]
    if not found:
        return "-"
    (first, flipped), last = min(found), max(found)[0]
    span = str(first) if first == last else f"{first} to {last}"
    return f"{span} ({flipped} pixels flip at {first})"


def _same_fit(pairs: Sequence[Mapping[str, str]]) -> str:
    """Which implementations reach the same fit from the same start, which do not, by how
    much and why, from the run's matched-mode (and tied-mode) pairs."""
    matched = [row for row in pairs if row["mode"] == "matched" and row["status"] == "ok"]
    if not matched:
        return ""
    tied = [row for row in pairs if row["mode"] == "tied"]
    groups = _groups(matched)
    same = (
        "\n".join(
            f"- {' = '.join(f'``{name}``' for name in group)}: "
            + ", ".join(IMPLEMENTATIONS[name].label for name in group)
            for group in groups
        )
        or "- no two implementations"
    )
    rows = []
    for a, b in {(row["impl_a"], row["impl_b"]): None for row in matched}:
        own = [row for row in matched if (row["impl_a"], row["impl_b"]) == (a, b)]
        apart = [row for row in own if row["verdict"] != "identical"]
        if not apart:
            continue
        lowest = min(apart, key=lambda row: float(row["share_equal_labels"]))
        farthest = max(apart, key=lambda row: float(row["max_centre_distance_8bit"]))
        own_tied = [row for row in tied if (row["impl_a"], row["impl_b"]) == (a, b)]
        rows.append(
            [
                f"``{a}`` / ``{b}``",
                f"{len(own) - len(apart)} of {len(own)}",
                f"{_percent(float(lowest['share_equal_labels']))} ({_where(lowest)})",
                f"{float(farthest['max_centre_distance_8bit']):.3g} ({_where(farthest)})",
                _partings(apart),
                _why(apart, a, b),
                f"{sum(row['verdict'] == 'identical' for row in own_tied)} of {len(own_tied)}",
            ]
        )
    table = (
        _table(
            [
                "pair",
                "identical",
                "equal labels, lowest",
                "largest centre distance (8-bit)",
                "labels first differ after iteration",
                "why",
                "tied mode: identical",
            ],
            rows,
        )
        if rows
        else "Every pair of implementations is identical in every matched run."
    )
    return f"""
Which implementations reach the same fit
----------------------------------------

In matched mode every implementation starts from the same initial centres, with no pixel
exactly tied between two of them. These implementations reached the same fit as each other
(the same label for every pixel, centres within 1e-9) at every K and seed both ran:

{same}

These pairs did not, in some or all of their matched runs: how many were identical, the lowest
share of equal labels and the largest distance between matched centres (where each occurred),
the iterations after which the two runs, stepped again one iteration at a time from the start,
first label a pixel differently (the first parting: how many pixels flip there), the causes
recorded for each run that is not identical (``causes`` in ``results/tables/agreement.csv``),
and how many of their tied-mode runs were identical:

{table}
"""


def _ran(fits: Sequence[Mapping[str, str]], impls: Sequence[str]) -> str:
    """One line per implementation: what it is, how it ran, and the K and seeds it ran."""
    lines = []
    for name in impls:
        entry = IMPLEMENTATIONS[name]
        own = [row for row in fits if row["impl"] == name]
        ks = _numbers([row["k_requested"] for row in own])
        seeds = _numbers([row["seed"] for row in own])
        lines.append(
            f"- ``{name}``, {entry.label}: ``{entry.call}``; {entry.precision}, "
            f"{entry.algorithm}; K {_literal(ks)}, seeds {_literal(seeds)}"
        )
    return "\n".join(lines)


def description(
    fits: Sequence[Mapping[str, str]],
    pairs: Sequence[Mapping[str, str]],
    environment: Mapping[str, Any],
    settings: Mapping[str, Any],
    ranking: Sequence[Mapping[str, str]] = (),
    k_for_quality: Sequence[Mapping[str, str]] = (),
    image_table: Sequence[Mapping[str, str]] = (),
    agreement_over: Sequence[Mapping[str, str]] = (),
    paired: Sequence[Mapping[str, str]] = (),
    reference: Sequence[Mapping[str, str]] = (),
    conversions: Sequence[Mapping[str, str]] = (),
) -> str:
    """reStructuredText for Snakemake's report directive. It contains no Jinja2 markup, because
    Snakemake renders the page as a template. Every section is of the fits in sRGB but the one
    on colour spaces (`_spaces`) and what a byte buys, which names each method's space."""
    spaces = _spaces(fits, pairs, reference, paired)
    # The ranking ranks each implementation in each space among all methods: its section
    # names the space of a method outside sRGB.
    fits, pairs, agreement_over, paired = (
        in_srgb(rows) for rows in (fits, pairs, agreement_over, paired)
    )
    images = sorted({row["image"] for row in fits})
    # The tables of a row per image show the images of the per-image figures.
    shown = figure_images(images, settings.get("per_image_figures"))
    impls = ordered([row["impl"] for row in fits])
    modes = [mode for mode in MODES if mode in {row["mode"] for row in fits}]
    status = Counter(row["status"] for row in fits)
    verdicts = Counter((row["mode"], row["verdict"]) for row in pairs)
    mode_lines = "\n".join(f"- ``{mode}``, {MODES[mode].shows}." for mode in modes)
    agreement = _table(
        ["mode", *VERDICTS],
        [[mode, *(verdicts[mode, v] for v in VERDICTS)] for mode in modes],
    )
    text = f"""
K-means colour quantization, every implementation cross-validated
=================================================================

This study compressed {len(images)} image(s) ({_literal(images)}) by K-means colour
quantization with {len(impls)} implementation(s) of K-means, each the way its library runs it,
for K in {_literal(_numbers([row["k_requested"] for row in fits]))} and seeds
{_literal(_numbers([row["seed"] for row in fits]))}:

{_ran(fits, impls)}
{_credits(image_table)}

in these modes:

{mode_lines}

Fits ran for at most {settings["max_iter"]} iterations on at most {settings["fit_max_pixels"]}
pixels per image (a sample drawn with seed {settings["fit_sample_seed"]}, the same rows for every
implementation). Every pixel was then labelled with its nearest palette colour by one shared
function for every implementation's palette (``kmquant.labelling.nearest_labels``), except that a
fit in double precision that saw every pixel and converged keeps the labels its library gave.
{_same_fit(pairs)}
Of {len(fits)} fits, {status["ok"]} succeeded, {status["warning"]} warned and
{status["error"]} failed. The {len(pairs)} pairs of fits of the same task compare as follows
(``identical``: equal labels and centres within 1e-9; ``same_image``: the two PNGs show the
same pixels):

{agreement}

Identical pairs out of all pairs, per K and mode:

{_identical_by_k(pairs, modes)}

Results are grouped by topic and, for images and palettes, by image; each says how to read
it. The interactive explorer, ``results/report/explorer.html``, shows every choice of image, K,
mode, seed and pair of implementations side by side; open it in a browser straight from the
file system.

{_what_a_byte_buys(_of(k_for_quality, shown))}{_shown_note(shown, images)}
{_against_references(_of(ranking, shown), reference)}{_shown_note(shown, images)}
{_over_images(agreement_over, paired)}{spaces}{_conversions(conversions)}
Versions
--------

{_versions(environment)}
"""
    if "{{" in text or "{%" in text or "{#" in text:
        raise ValueError("an image name would be read as Jinja2 markup by Snakemake's report")
    return text.lstrip("\n")


def _of(rows: Sequence[Mapping[str, str]], images: Sequence[str]) -> list[Mapping[str, str]]:
    """The rows of `images`."""
    return [row for row in rows if row["image"] in images]


def _shown_note(shown: Sequence[str], images: Sequence[str]) -> str:
    """Where a table of a row per image shows some of the images only, which and where the
    others are."""
    if len(shown) == len(images):
        return ""
    return (
        f"\nThe table shows the {len(shown)} images of the per-image figures "
        f"({_literal(shown)}) of {len(images)}; the tables it names hold every image, and "
        "the section over the images below says what holds over all of them.\n"
    )


def write_description(
    out: str | Path,
    fits: str | Path,
    pairs: str | Path,
    environment: str | Path,
    settings: Mapping[str, Any],
    tables: Mapping[str, str | Path | None],
) -> None:
    """The report's front page from the run's tables and environment.json, and those of
    `tables` (ranking, k_for_quality, image_table, agreement_over, paired, reference,
    conversions) that the study wrote."""
    given = {name: read_csv(path) if path else [] for name, path in tables.items()}
    text = description(read_csv(fits), read_csv(pairs), read_json(environment), settings, **given)
    write_text(out, text)
