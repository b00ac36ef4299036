"""The Snakemake report (front page, categories, captions) and the explorer's data and page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import docutils.core
import numpy as np
import pytest

from conftest import ROOT, run_snakemake
from kmquant import explorer, report
from kmquant.figures import CATEGORIES, FIGURES
from kmquant.fitting import FitResult
from kmquant.reference import QUANTIZERS

ENVIRONMENT = {
    "python_version": "3.11.7",
    "packages": {"numpy": "2.4.6", "scikit-learn": "1.9.1", "rpy2": None},
    "implementations": {"python": "scikit-learn 1.9.1", "amap": None},
    "r_build": {
        "version": "R version 4.2.2",
        "blas": "/usr/lib/libblas.so.3",
        "lapack": "liblapack",
    },
    "python_blas": [{"internal_api": "openblas"}],
    "os": "Debian GNU/Linux 12 (bookworm)",
    "kernel": "6.1",
    "cpu": "AMD EPYC",
    "cpu_count": 2,
    "lock": {"file": "requirements/lock-rpy2-3.5.txt", "sha256": "8f48"},
}
SETTINGS = {"max_iter": 300, "fit_max_pixels": 1000, "fit_sample_seed": 0}


def fit_row(
    image: str, status: str, k: int = 2, mode: str = "matched", impl: str = "python"
) -> dict[str, str]:
    return {
        "image": image,
        "impl": impl,
        "mode": mode,
        "k_requested": str(k),
        "seed": "0",
        "status": status,
    }


def pair_row(
    image: str,
    verdict: str,
    mode: str = "matched",
    k: int = 2,
    pair: tuple[str, str] = ("python", "r"),
    **fields: str,
) -> dict[str, str]:
    row = {
        "image": image,
        "mode": mode,
        "k_requested": str(k),
        "seed": "0",
        "verdict": verdict,
        "impl_a": pair[0],
        "impl_b": pair[1],
        "causes": "",
        "parting_iteration": "",
        "parting_pixels": "",
        "share_equal_labels": "1.0",
        "max_centre_distance_8bit": "0.0",
        "status": "failed" if verdict == "failed" else "ok",
    }
    return row | fields


def test_description_says_what_ran_what_came_out_and_the_versions() -> None:
    fits = [
        fit_row("a", "ok"),
        fit_row("a", "warning", k=8),
        fit_row("b_c", "error", mode="native"),
        fit_row("a", "ok", mode="tied"),
    ]
    pairs = [
        pair_row("a", "identical"),
        pair_row("a", "identical", k=8),
        pair_row("b_c", "failed", "native"),
        pair_row("a", "different", "tied", k=8),
    ]
    text = report.description(fits, pairs, ENVIRONMENT, SETTINGS)
    assert "2 image(s) (``a``, ``b_c``)" in text
    assert "K in ``2``, ``8``" in text
    assert "Of 4 fits, 2 succeeded, 1 warned and\n1 failed" in text
    # Each mode says what it shows, in the registry's order.
    assert text.index("- ``matched``, the proof:") < text.index("- ``tied``, the finding:")
    assert text.index("- ``tied``, the finding:") < text.index("- ``native``, what users get")
    assert "at most 300 iterations on at most 1000" in text
    assert "one shared\nfunction for every implementation's palette" in text
    assert "scikit-learn 1.9.1" in text and "rpy2 " not in text.split("Versions")[1]
    assert "R version 4.2.2; BLAS /usr/lib/libblas.so.3" in text
    assert "installed from ``requirements/lock-rpy2-3.5.txt`` (sha256 ``8f48``)" in text
    unlocked = report.description(fits, pairs, ENVIRONMENT | {"lock": None}, SETTINGS)
    assert "not installed from the project's lock files" in unlocked
    # Valid reStructuredText: docutils stops at the first warning.
    html = docutils.core.publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["body"]
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [re.findall(r"<td>(?:<p>)?(.*?)(?:</p>)?</td>", row) for row in rows]
    assert ["matched", "2", "0", "0", "0"] in cells
    assert ["tied", "0", "0", "1", "0"] in cells
    assert ["native", "0", "0", "0", "1"] in cells
    # Identical pairs per K and mode (columns matched, tied, native).
    assert ["2", "1 / 1", "0 / 0", "0 / 1"] in cells
    assert ["8", "1 / 1", "0 / 1", "0 / 0"] in cells


def _target(method: str, metric: str, target: str, k: str = "", size: str = "") -> dict[str, str]:
    reached = "true" if k else "false"
    return {
        "image": "a",
        "metric": metric,
        "target": target,
        "method": method,
        "reached": reached,
        "k_requested": k,
        "indexed_png_bytes": size,
    }


def test_the_front_page_names_the_smallest_file_per_target() -> None:
    k_for_quality = [
        _target("pngquant", "psnr_db", "35", "64", "41000.0"),
        _target("python", "psnr_db", "35", "32", "39500.0"),
        _target("r", "psnr_db", "35", "64", "52000.0"),
        _target("libimagequant", "psnr_db", "35", "64", "39500.0"),
        _target("pngquant", "ssim", "0.95"),
        _target("python", "ssim", "0.95", "128", "70000.5"),
        _target("r", "ssim", "0.95"),
    ]
    fits, pairs = [fit_row("a", "ok")], [pair_row("a", "identical")]
    text = report.description(fits, pairs, ENVIRONMENT, SETTINGS, (), k_for_quality)
    html = docutils.core.publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["body"]
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [re.findall(r"<td>(?:<p>)?(.*?)(?:</p>)?</td>", row, re.S) for row in rows]
    assert [
        "a",
        "PSNR ≥ 35 dB",
        "python (K = 32), libimagequant (K = 64): 39,500 bytes",
        "python (K = 32): 39,500 bytes",
    ] in cells
    assert [
        "a",
        "SSIM ≥ 0.95",
        "python (K = 128): 70,000 bytes",
        "python (K = 128): 70,000 bytes",
    ] in cells
    assert "What a byte buys" in text and "rate_distortion.png" in text


def test_description_refuses_names_that_jinja2_would_read_as_markup() -> None:
    with pytest.raises(ValueError, match="Jinja2"):
        report.description([fit_row("{{x}}", "ok")], [], ENVIRONMENT, SETTINGS)


@pytest.mark.parametrize(
    ("text", "value"),
    [("", None), ("true", True), ("false", False), ("3", 3.0), ("-1.5e-3", -1.5e-3),
     ("inf", "inf"), ("nan", "nan"), ("r failed: x", "r failed: x")],
)  # fmt: skip
def test_csv_cells_become_json_values(text: str, value: object) -> None:
    assert explorer.cell(text) == value


def fit(centres: list[list[float]] | None) -> FitResult:
    if centres is None:
        return FitResult(np.zeros((0, 3)), np.zeros(0, dtype=np.uint8), {"status": "error"})
    return FitResult(np.array(centres), np.zeros(4, dtype=np.uint8), {"status": "ok"})


def test_palettes_are_shown_matched_colour_to_colour() -> None:
    python = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    r = [[1.0, 1.0, 0.99], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    assert explorer.palette(fit(python)) == ["#ff0000", "#0000ff", "#ffffff"]
    assert explorer.palette(fit(r)) == ["#fffffc", "#ff0000", "#0000ff"]
    # Colour j of the first is shown beside colour order[j] of the second.
    assert explorer.matching(fit(python), fit(r)) == [[0, 1, 2], [1, 2, 0]]


def test_a_failed_fit_has_no_palette_and_no_matching() -> None:
    assert explorer.palette(fit(None)) is None
    assert explorer.matching(fit([[0.0, 0.0, 0.0], [1.0, 0.5, 0.0]]), fit(None)) is None


def _html_cells(text: str) -> list[list[str]]:
    html = docutils.core.publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["body"]
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [re.findall(r"<td>(?:<p>)?(.*?)(?:</p>)?</td>", row, re.S) for row in rows]


def test_the_front_page_says_which_implementations_reach_the_same_fit_and_why_not() -> None:
    fits = [fit_row("a", "ok", impl=impl) for impl in ("python", "r", "scipy", "opencv")]
    identical = [
        pair_row("a", "identical", k=k, pair=pair)
        for k in (2, 8)
        for pair in [("python", "r"), ("python", "scipy"), ("r", "scipy")]
    ]
    apart = {
        "causes": "float32 iteration_cap max_iter",
        "share_equal_labels": "0.879",
        "max_centre_distance_8bit": "26.0",
        "parting_iteration": "3",
        "parting_pixels": "412",
    }
    pairs = [
        *identical,
        pair_row("a", "identical", k=2, pair=("python", "opencv")),
        pair_row("a", "different", k=8, pair=("python", "opencv"), **apart),
        pair_row("a", "different", "tied", k=8, pair=("python", "opencv"), **apart),
    ]
    text = report.description(fits, pairs, ENVIRONMENT, SETTINGS)
    assert "- ``python`` = ``r`` = ``scipy``: Python (scikit-learn), R (stats::kmeans)" in text
    assert [
        '<tt class="docutils literal">python</tt> / <tt class="docutils literal">opencv</tt>',
        "1 of 2",
        "87.9 % (a, K = 8, seed 0)",
        "26 (a, K = 8, seed 0)",
        "3 (412 pixels flip at 3)",
        "OpenCV's cv2.kmeans computes in float32 (1 of 1); OpenCV's cv2.kmeans stops after at "
        "most 100 iterations (1 of 1); a run stopped at max_iter (1 of 1)",
        "0 of 1",
    ] in _html_cells(text)
    # The pairs that were always identical have no row of their own.
    assert not [row for row in _html_cells(text) if row and row[0].endswith(">r</tt>")]


def test_the_page_inlines_its_data_safely() -> None:
    data = {"views": {"a": {"pair": {"message": "</script><script>alert(1)</script>"}}}}
    page = explorer.render(data)
    script = page.split("const DATA = ", 1)[1].split(";\n", 1)[0]
    assert "</script>" not in script
    assert json.loads(script) == data
    assert explorer.DATA_MARK not in page


def report_data(html: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Snakemake's report page shows: {category: {subcategory: [paths]}}, and per path
    its entry (its caption as HTML, among others)."""
    decoder = json.JSONDecoder()
    found = []
    for name in ("categories", "results"):
        start = re.search(rf"\bvar {name} = (?=\{{)", html)
        assert start is not None, name
        found.append(decoder.raw_decode(html, start.end())[0])
    return found[0], found[1]


def test_snakemake_report_registers_every_figure_and_table_with_a_caption(
    tiny_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run_snakemake(tiny_run, "--report", str(out))
    assert "ERROR" not in result.stderr, result.stderr
    html = out.read_text(encoding="utf-8")
    for category in CATEGORIES:
        assert category in html, category
    for caption in sorted((ROOT / "workflow" / "report").glob("*.rst")):
        for title in re.findall(r"^\*\*([^*{]+)\*\*", caption.read_text(), re.M):
            assert " ".join(title.split()) in html, caption.name
    assert "The compressed images of photo" in html  # captions render their wildcards
    assert "The palettes of five_colours" in html
    environment = json.loads((tiny_run / "results" / "environment.json").read_text())
    assert f"scikit-learn {environment['packages']['scikit-learn']}" in html
    assert environment["r_build"]["version"] in html
    # Every figure of the registry is shown in its category, with its caption.
    shown, results = report_data(html)
    for name, figure in FIGURES.items():
        path = f"results/figures/{name}.png"
        assert path in [path for paths in shown[figure.category].values() for path in paths]
        caption = (ROOT / "workflow" / "report" / figure.caption).read_text(encoding="utf-8")
        title = " ".join(re.findall(r"^\*\*([^*{]+)\*\*", caption)[0].split())
        assert title in " ".join(results[path]["caption"].split()), name
    tables = ("rate_distortion", "k_for_quality", "fits", "agreement", "timings", "native_summary")
    for table in (f"{name}.csv" for name in tables):
        assert table in html


def test_the_front_page_credits_datasets_and_says_what_holds_over_images() -> None:
    """A dataset's images are credited with their colour check; over two images, each matched
    pair's identical count and the headline pair against each reference quantizer."""
    fits = [fit_row("a", "ok"), fit_row("b", "ok")]
    pairs = [pair_row("a", "identical"), pair_row("b", "identical")]
    images = [
        {
            "image": "a",
            "rejected": "",
            "dataset": "cq100",
            "n_distinct_colours": "7",
            "dataset_n_colours": "7",
        },
        {
            "image": "b",
            "rejected": "",
            "dataset": "cq100",
            "n_distinct_colours": "7",
            "dataset_n_colours": "8",
        },
    ]
    agreement = [
        {
            "impl_a": "python",
            "impl_b": "r",
            "mode": "matched",
            "k_requested": "2",
            "seed": "0",
            "n_images": "2",
            "n_identical": "2",
            "share_equal_labels_min": "1.0",
            "share_equal_labels_median": "1.0",
            "share_equal_labels_max": "1.0",
        },
        {
            "impl_a": "python",
            "impl_b": "opencv",
            "mode": "matched",
            "k_requested": "2",
            "seed": "0",
            "n_images": "2",
            "n_identical": "1",
            "share_equal_labels_min": "0.98",
            "share_equal_labels_median": "0.99",
            "share_equal_labels_max": "1.0",
        },
    ]
    paired = [
        {
            "method_a": "python",
            "mode_a": "native",
            "method_b": "pngquant",
            "mode_b": "reference",
            "k_requested": "2",
            "metric": "psnr_db",
            "n_images": "2",
            "a_better": "2",
            "equal": "0",
            "a_worse": "0",
            "median_difference": "0.5",
            "median_difference_ci_low": "0.25",
            "median_difference_ci_high": "0.75",
            "p_value": "0.5",
        },
    ]
    text = report.description(
        fits,
        pairs,
        ENVIRONMENT,
        SETTINGS,
        image_table=images,
        agreement_over=agreement,
        paired=paired,
    )
    assert "2 image(s) of the dataset ``cq100`` (M. E. Celebi" in text
    assert "distinct colours as the dataset does in 1 of 2." in text
    assert "- python = r: identical on 2 of 2 images at every K it ran (2)" in text
    assert (
        "- python and opencv: identical on 1 of 2 images at K = 2; at K = 2 they label a median"
        " of 1 % of the pixels differently (at most 2 %)"
    ) in text
    html = docutils.core.publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2}
    )["body"]
    cells = [
        re.findall(r"<td>(?:<p>)?(.*?)(?:</p>)?</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]
    versus = ["python", "pngquant", "PSNR", "2 of 2 images", "0.5 (0.25 to 0.75) dB", "0.5"]
    assert versus in cells
    # A study without the native mode weighs its matched fits against the quantizers.
    matched = [row | {"mode_a": "matched"} for row in paired]
    text = report.description(
        fits,
        pairs,
        ENVIRONMENT,
        SETTINGS,
        image_table=images,
        agreement_over=agreement,
        paired=matched,
    )
    assert "Python and R (matched mode, each image's value the mean over seeds)" in text
    assert "0.5 (0.25 to 0.75) dB" in text
    one = report.description(
        fits[:1],
        pairs[:1],
        ENVIRONMENT,
        SETTINGS,
        agreement_over=[agreement[0] | {"n_images": "1", "n_identical": "1"}],
    )
    assert "Over the images" not in one


def test_the_front_page_names_exactly_the_reference_quantizers_that_ran() -> None:
    """The tools in reference.csv, by their labels in the registry's order, and those of them
    that wrote no PNG; no tool that did not run, and no section where none ran."""
    fits, pairs = [fit_row("a", "ok")], [pair_row("a", "identical")]
    ranking = [
        {
            "image": "a",
            "k_requested": "2",
            "metric": "psnr_db",
            "method": method,
            "rank": str(rank),
            "n_methods": "2",
            "best": str(rank == 1).lower(),
        }
        for rank, method in enumerate(("pillow_fastoctree", "python"), 1)
    ]
    ran = [
        {"image": "a", "method": "pillow_fastoctree", "k_requested": "2", "status": "ok"},
        {"image": "a", "method": "pngquant", "k_requested": "2", "status": "error"},
    ]

    def named(reference: list[dict[str, str]]) -> str:
        text = report.description(
            fits, pairs, ENVIRONMENT, SETTINGS, ranking=ranking, reference=reference
        )
        return " ".join(text.split("Against the quantizers people use")[-1].split())

    section = named(ran)
    assert "quantized by pngquant and Pillow's fast octree (no dithering)" in section
    assert "; pngquant wrote no PNG at any K" in section
    others = [
        entry.label
        for name, entry in QUANTIZERS.items()
        if name not in ("pngquant", "pillow_fastoctree")
    ]
    assert not [label for label in others if label in section]
    assert "wrote no PNG" not in named(ran[:1])
    assert "Against the quantizers people use" not in named([])


def test_a_study_of_many_images_shows_its_per_image_tables_for_a_few() -> None:
    """Of six images, the front page's tables of a row per image show the first four by name
    (or the images `per_image_figures` names) and say where the others are."""
    images = [f"photo{n}" for n in range(6)]
    fits = [fit_row(image, "ok") for image in images]
    targets = [
        {
            "image": image,
            "metric": "psnr_db",
            "target": "30",
            "method": "python",
            "reached": "true",
            "k_requested": "2",
            "indexed_png_bytes": "100",
        }
        for image in images
    ]
    text = report.description(fits, [], ENVIRONMENT, SETTINGS, k_for_quality=targets)
    byte = text[text.index("What a byte buys") : text.index("Versions")]
    assert [image for image in images if f"- {image}\n" in byte] == images[:4]
    assert "the 4 images of the per-image figures" in byte and "of 6;" in byte
    chosen = SETTINGS | {"per_image_figures": ["photo5"]}
    text = report.description(fits, [], ENVIRONMENT, chosen, k_for_quality=targets)
    byte = text[text.index("What a byte buys") : text.index("Versions")]
    assert [image for image in images if f"- {image}\n" in byte] == ["photo5"]
    few = report.description(fits[:2], [], ENVIRONMENT, SETTINGS, k_for_quality=targets[:2])
    assert "per-image figures" not in few  # a study of up to four shows every image


def test_the_front_page_says_how_far_each_colour_conversion_lies_from_the_reference() -> None:
    """From conversions.csv: per converter against the reference, the largest CIE76 over the
    images and the range of the images' mean CIEDE2000, and each converter's constants; no
    section without the table."""

    def row(image: str, b: str, largest: str, mean: str) -> dict[str, str]:
        return {
            "image": image,
            "a": "colour-science",
            "b": b,
            "max_delta_e76": largest,
            "mean_delta_e00": mean,
        }

    rows = [
        row("a", "scikit-image", "0.015", "0.0048"),
        row("b", "scikit-image", "0.025", "0.004"),
        row("a", "grDevices", "0.27", "0.051"),
        row("b", "grDevices", "0.32", "0.097"),
        {**row("a", "grDevices", "9", "9"), "a": "scikit-image"},
    ]
    fits, pairs = [fit_row("a", "ok"), fit_row("b", "ok")], [pair_row("a", "identical")]
    text = report.description(fits, pairs, ENVIRONMENT, SETTINGS, conversions=rows)
    section = " ".join(text.split("Colour conversions\n")[1].split("Versions\n")[0].split())
    assert "of the 2 image(s)" in section
    assert (
        "scikit-image's ``rgb2lab`` by at most 0.025 in CIE76 and by a mean CIEDE2000 of 0.004 "
        "to 0.0048 per image and R's ``grDevices::convertColor`` by at most 0.32 in CIE76 and "
        "by a mean CIEDE2000 of 0.051 to 0.097 per image." in section
    )
    assert "a D65 white point of its own, (0.3137, 0.3291)" in section
    assert "Colour conversions" not in report.description(fits, pairs, ENVIRONMENT, SETTINGS)
