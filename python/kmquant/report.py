"""The front page of the Snakemake report (results/report/workflow.rst): what was run, what came
out of it, and with which versions, written from the run's own tables and environment.json."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from kmquant.modes import MODES

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


def _against_references(ranking: Sequence[Mapping[str, str]]) -> str:
    """Per image and K: the best method by PSNR, by mean CIEDE2000 and by SSIM, and the ranks
    of Python's and R's best fits among all methods."""
    if not ranking:
        return ""
    by_key: dict[tuple[str, int], dict[str, Mapping[str, str]]] = {}
    for row in ranking:
        by_key.setdefault((row["image"], int(row["k_requested"])), {})[row["metric"]] = row

    def cell(row: Mapping[str, str] | None, field: str) -> str:
        return "" if row is None else (row[field] or "-")

    rows = [
        [image, k]
        + [cell(metrics.get(m), f) for m in ("psnr_db", "mean_ciede2000", "ssim")
           for f in ("best_methods", "python_rank", "r_rank")]
        for (image, k), metrics in sorted(by_key.items())
    ]  # fmt: skip
    n = max(int(row["n_methods"]) for row in ranking)
    table = _table(
        ["image", "K", "best PSNR", "Python", "R", "best CIEDE2000", "Python", "R", "best SSIM",
         "Python", "R"], rows,
    )  # fmt: skip
    return f"""
Against the quantizers people use
---------------------------------

The same images at the same K, quantized by pngquant, libimagequant and Pillow's median cut,
maximum coverage and fast octree (no dithering), scored by the same code from the PNGs they
wrote (``results/tables/reference.csv``). Per image and K, the method with the best PSNR, the
best mean CIEDE2000 and the best SSIM, and where the best Python and the best R fit rank among
the (up to) {n} methods (1 is best):

{table}
"""


_TARGETS = {"psnr_db": "PSNR >= {} dB", "mean_ciede2000": "mean ΔE00 <= {}", "ssim": "SSIM >= {}"}


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
        names = ", ".join(f"{row['method']} (K = {row['k_requested']})" for row in best)
        return f"{names}: {size:,.0f} bytes"

    table = _table(
        ["image", "target", "smallest file", "K-means (Python or R)"],
        [
            [image, _TARGETS[metric].format(target), entry(rows),
             entry([row for row in rows if row["method"] in ("python", "r")])]
            for (image, metric, target), rows in groups.items()
        ],
    )  # fmt: skip
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


def _lock_line(lock: Mapping[str, str] | None) -> str:
    if lock is None:
        return "- Python packages not installed from the project's lock files"
    return f"- Python packages installed from ``{lock['file']}`` (sha256 ``{lock['sha256']}``)"


def _versions(environment: Mapping[str, Any]) -> str:
    packages = environment["packages"]
    blas = {b.get("internal_api") for b in environment.get("python_blas", [])} - {None}
    r = environment["r"]
    lines = [
        f"- Python {environment['python']}: "
        + ", ".join(f"{name} {version}" for name, version in packages.items() if version),
        f"- {r['version']}; BLAS {r['blas'] or 'R internal'}; LAPACK {r['lapack']}",
        f"- pngquant {environment.get('pngquant') or 'not installed'}",
        _lock_line(environment.get("lock")),
        f"- NumPy's BLAS: {', '.join(sorted(blas)) or 'unknown'}",
        f"- {environment['os']}, kernel {environment['kernel']}; {environment['cpu']}"
        f" ({environment['cpu_count']} logical CPUs)",
    ]
    return "\n".join(lines)


def description(
    fits: Sequence[Mapping[str, str]],
    pairs: Sequence[Mapping[str, str]],
    environment: Mapping[str, Any],
    settings: Mapping[str, Any],
    ranking: Sequence[Mapping[str, str]] = (),
    k_for_quality: Sequence[Mapping[str, str]] = (),
) -> str:
    """reStructuredText for Snakemake's report directive. It contains no Jinja2 markup, because
    Snakemake renders the page as a template."""
    images = sorted({row["image"] for row in fits})
    modes = [mode for mode in MODES if mode in {row["mode"] for row in fits}]
    status = Counter(row["status"] for row in fits)
    verdicts = Counter((row["mode"], row["verdict"]) for row in pairs)
    mode_lines = "\n".join(f"- ``{mode}``, {MODES[mode].shows}." for mode in modes)
    agreement = _table(
        ["mode", *VERDICTS],
        [[mode, *(verdicts[mode, v] for v in VERDICTS)] for mode in modes],
    )
    text = f"""
K-means colour quantization in Python and R
============================================

This study compressed {len(images)} image(s) ({_literal(images)}) by K-means colour
quantization twice, in Python (scikit-learn ``KMeans``) and in R (``stats::kmeans`` through
rpy2), for K in {_literal(_numbers(row["k_requested"] for row in fits))} and seeds
{_literal(_numbers(row["seed"] for row in fits))}, in these modes:

{mode_lines}

Fits ran for at most {settings["max_iter"]} iterations on at most {settings["fit_max_pixels"]}
pixels per image (a sample drawn with seed {settings["fit_sample_seed"]}, the same rows in both
languages). On an image larger than that, every pixel was then labelled with its nearest palette
colour by one shared function for both languages' palettes (``kmquant.labelling.nearest_labels``);
a fit that saw every pixel keeps the labels its own language gave.

Of {len(fits)} fits, {status["ok"]} succeeded, {status["warning"]} warned and
{status["error"]} failed. The {len(pairs)} Python/R pairs compare as follows (``identical``:
equal labels and centres within 1e-9; ``same_image``: the two PNGs show the same pixels):

{agreement}

Identical pairs out of all pairs, per K and mode:

{_identical_by_k(pairs, modes)}

Results are grouped by topic and, for images and palettes, by image; each says how to read
it. The interactive explorer, ``results/report/explorer.html``, shows every choice of image, K,
mode and seed side by side; open it in a browser straight from the file system.

{_what_a_byte_buys(k_for_quality)}
{_against_references(ranking)}
Versions
--------

{_versions(environment)}
"""
    if "{{" in text or "{%" in text or "{#" in text:
        raise ValueError("an image name would be read as Jinja2 markup by Snakemake's report")
    return text.lstrip("\n")
