"""The colour spaces as an axis of the study: the config keys that choose them, the runs and
result files of each space, and a real snakemake run of the tiny study in three spaces,
checked against the same study in sRGB alone (tiny_run)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ROOT
from kmquant import runs
from kmquant.agreement import tied_at_start
from kmquant.config_checks import ConfigError, check_config, check_names, narrowed
from kmquant.figures import in_srgb
from kmquant.implementations import IMPLEMENTATIONS, pairs, space_runs
from kmquant.initial import initial_centres
from kmquant.labelling import count_tied_pixels
from kmquant.over_images import paired, per_image
from kmquant.paths import Results
from kmquant.pixels import Pixels
from kmquant.report import _seen_from
from kmquant.spaces import RGB, SPACES

SCHEMA = yaml.safe_load((ROOT / "workflow" / "config.schema.yaml").read_text(encoding="utf-8"))
#: The double-precision implementations, which the proof says end identical in every space.
EXACT = [name for name, entry in IMPLEMENTATIONS.items() if entry.exact]
SPACED = ["cielab", "oklab"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def config(**keys: object) -> dict[str, object]:
    return {"k_values": [2, 8, 16], "seeds": [0, 1], "modes": ["matched", "tied", "native"]} | keys


def test_a_run_names_its_space_only_outside_srgb() -> None:
    rgb = runs.Run(16, "matched", 0, "a.npz", "s.csv")
    lab = runs.Run(16, "matched", 0, "b.npz", "s.csv", "cielab")
    assert rgb.key == "matched_k16_s0" and lab.key == "matched_k16_s0_cielab"
    text = runs.dump([rgb, lab])
    assert json.loads(text)[0] == {"k": 16, "mode": "matched", "seed": 0, "out": "a.npz",
                                   "init": "s.csv"}  # fmt: skip
    assert runs.parse(text) == [rgb, lab]


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"k": 4, "mode": "matched", "seed": 0, "out": "a", "init": "s", "space": "hsv"}, "hsv"),
        ({"k": 4, "mode": "tied", "seed": 0, "out": "a", "init": "s", "space": "cielab"}, "tied"),
    ],
)
def test_a_run_in_no_space_of_its_mode_is_refused(item: dict, says: str) -> None:
    with pytest.raises(runs.RunError, match=says):
        runs.parse(json.dumps([item]))


def test_a_shared_start_is_written_in_srgb_alone() -> None:
    item = {"k": 4, "mode": "matched", "seed": 0, "out": "s.csv", "space": "oklab"}
    with pytest.raises(runs.RunError, match="rgb alone"):
        runs.parse(json.dumps([item]), writes_starts=True)


def test_a_result_outside_srgb_is_named_with_its_space_and_srgb_s_names_stay() -> None:
    results = Results(Path("results"))
    assert results.fit("r", "matched", "a", 16, 0) == Path("results/fits/r/matched/a/k16_s0.npz")
    assert results.fit("r", "matched", "a", 16, 0, "oklab").name == "k16_s0_oklab.npz"
    assert results.image("r", "native", "a", 2, 1, "cielab").name == "k2_s1_cielab.png"
    assert results.agreement("native", "a", 2, 1, "cielab").name == "k2_s1_cielab.json"


def test_srgb_runs_the_whole_grid_and_the_other_spaces_what_the_config_names() -> None:
    given = config(
        spaces=["rgb", "cielab"], space_implementations=["r"], space_k_values=[8], space_seeds=[1]
    )
    assert space_runs("python", "tied", RGB, given) == ([2, 8, 16], [0])
    assert space_runs("r", "native", "cielab", given) == ([8], [1])
    assert space_runs("r", "tied", "cielab", given) == ([], [])  # the sRGB lattice's ties
    assert space_runs("python", "native", "cielab", given) == ([], [])
    assert space_runs("r", "native", "oklab", given) == ([], [])  # not among `spaces`
    every = config(spaces=["rgb", "oklab"])
    assert space_runs("elkan", "matched", "oklab", every) == ([2, 8, 16], [0, 1])


def test_the_spaces_are_the_registry_s_and_include_srgb() -> None:
    with pytest.raises(ConfigError, match="'spaces': 'hsv' is not one of"):
        check_names(config(spaces=["rgb", "hsv"]))
    with pytest.raises(ConfigError, match="'space_implementations': 'torch'"):
        check_names(config(space_implementations=["torch"]))
    with pytest.raises(ConfigError, match="leaves out 'rgb'"):
        check_config(config(spaces=["cielab"]), SCHEMA)


def test_narrowing_k_values_or_seeds_narrows_the_spaces_k_values_and_seeds() -> None:
    fixed, dropped = narrowed(config(space_k_values=[8, 64], space_seeds=[1, 5]))
    assert fixed["space_k_values"] == [8] and fixed["space_seeds"] == [1]
    assert any("'space_k_values'" in line and "[64]" in line for line in dropped)
    with pytest.raises(ConfigError, match="'space_k_values'"):
        narrowed(config(space_k_values=[64]))


def test_matched_mode_s_start_leaves_no_pixel_tied_in_any_space_and_tied_mode_s_ties() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 8, (40, 40, 3), dtype=np.uint8) * 36
    image = Pixels(rgb, 255, np.arange(1600))
    lattice = initial_centres(image, 6, 0, off_lattice=False)
    tied = count_tied_pixels(image.fit_colours(), lattice * 255)
    assert tied > 0 and tied_at_start(image, lattice, RGB) == tied
    start = initial_centres(image, 6, 0, off_lattice=True)
    for space in SPACES:
        assert tied_at_start(image, start, space) == 0, space


def test_an_implementation_is_paired_with_itself_across_spaces() -> None:
    fits = [
        {"impl": impl, "mode": "native", "space": space, "k_requested": "4", "image": image,
         "status": "ok", "psnr_db": str(value), "mean_ciede2000": "1.0", "ssim": "0.9"}
        for impl, space, value in (("python", "rgb", 30), ("python", "cielab", 29),
                                   ("r", "cielab", 28))
        for image in ("a", "b")
    ]  # fmt: skip
    found = {
        (row["method_a"], row["space_a"], row["method_b"], row["space_b"])
        for row in paired(per_image(fits, []))
    }
    assert ("python", "rgb", "python", "cielab") in found  # one implementation, two spaces
    assert ("python", "cielab", "r", "cielab") in found  # two implementations, one space
    assert ("python", "rgb", "r", "cielab") not in found


def test_a_paired_row_is_turned_round_for_its_second_method() -> None:
    row = {"method_a": "python", "mode_a": "native", "space_a": "rgb", "method_b": "python",
           "mode_b": "native", "space_b": "cielab", "a_better": "3", "a_worse": "1",
           "median_difference": "0.5", "median_difference_ci_low": "0.25",
           "median_difference_ci_high": "1.0"}  # fmt: skip
    seen = _seen_from(row, ("python", "native", "cielab"))
    assert seen is not None and (seen["space_a"], seen["space_b"]) == ("cielab", "rgb")
    assert (seen["a_better"], seen["a_worse"]) == ("1", "3")
    turned = ("median_difference", "median_difference_ci_low", "median_difference_ci_high")
    assert [float(seen[key]) for key in turned] == [-0.5, -1.0, -0.25]
    assert _seen_from(row, ("r", "native", "cielab")) is None


def test_every_fit_in_every_space_is_a_row_a_png_and_a_pair(spaced_run: Path) -> None:
    tables = spaced_run / "results" / "tables"
    fits = read_csv(tables / "fits.csv")
    spaced = [row for row in fits if row["space"] in SPACED]
    # 2 images x 2 spaces x 2 modes (matched, native) x 2 K x 1 seed, per implementation
    assert len(spaced) == 2 * 2 * 2 * 2 * len(EXACT)
    assert {row["mode"] for row in spaced} == {"matched", "native"}
    for row in spaced:
        assert row["status"] != "error" and int(row["n_out_of_gamut"]) >= 0
        name = f"k{row['k_requested']}_s{row['seed']}_{row['space']}.png"
        png = spaced_run / "results" / "images" / row["impl"] / row["mode"] / row["image"] / name
        assert png.is_file() and int(row["indexed_png_bytes"]) == png.stat().st_size
    agreement = read_csv(tables / "agreement.csv")
    for space in SPACED:
        matched = [r for r in agreement if r["space"] == space and r["mode"] == "matched"]
        assert len(matched) == 2 * 2 * len(pairs(EXACT))
        assert {r["verdict"] for r in matched} == {"identical"}, space
        assert {r["tied_initial_pixels"] for r in matched} == {"0"}
    for name in ("rate_distortion", "k_for_quality", "ranking", "over_images"):
        assert set(SPACED) < {row["space"] for row in read_csv(tables / f"{name}.csv")}, name


def test_srgb_s_results_keep_their_bytes_when_spaces_are_added(
    tiny_run: Path, spaced_run: Path
) -> None:
    """Every reproducible file of the sRGB study, images and pair records alike, is the same
    in the study with spaces; its tables hold the same rows, which the spaces' rows join."""
    listed = [
        line.split(maxsplit=1)
        for line in (tiny_run / "results" / "manifest.sha256").read_text().splitlines()
    ]
    spaced = dict(
        reversed(line.split(maxsplit=1))
        for line in (spaced_run / "results" / "manifest.sha256").read_text().splitlines()
    )
    files = [(digest, path) for digest, path in listed if "/tables/" not in path]
    assert len(files) > 100
    for digest, path in files:
        assert spaced.get(path) == digest, path
    # (ranking.csv ranks among more methods, so its ranks change.)
    for table in ("fits", "agreement", "native_summary", "rate_distortion", "paired"):
        alone = read_csv(tiny_run / "results" / "tables" / f"{table}.csv")
        beside = read_csv(spaced_run / "results" / "tables" / f"{table}.csv")
        kept = {json.dumps(row, sort_keys=True) for row in alone}
        assert kept <= {json.dumps(row, sort_keys=True) for row in beside}, table
        assert len(beside) > len(alone) or table == "native_summary", table


def test_the_figures_draw_each_space_beside_the_quantizers_and_the_rest_srgb(
    spaced_run: Path,
) -> None:
    svg = (spaced_run / "results" / "figures" / "rate_distortion.svg").read_text()
    for space in SPACED:
        assert f'id="method:python:{space}"' in svg
    assert 'id="method:python"' in svg and 'id="method:libimagequant"' in svg
    timing = read_csv(spaced_run / "results" / "tables" / "timings.csv")
    assert {row["space"] for row in timing} >= {RGB, *SPACED}
    import pandas as pd

    table = pd.DataFrame({"space": ["rgb", "cielab", ""], "value": [1, 2, 3]})
    assert list(in_srgb(table)["value"]) == [1, 3]


def test_the_report_gives_the_proof_and_the_finding_in_each_space(spaced_run: Path) -> None:
    page = (spaced_run / "results" / "report" / "workflow.rst").read_text(encoding="utf-8")
    section = page[page.index("\nColour spaces\n") :]
    n = 2 * 2 * len(pairs(EXACT))
    for space in SPACED:
        assert re.search(rf"\* - {SPACES[space].label}\n     - {n} of {n}\n", section), space
        assert f"- in {SPACES[space].label}: a lower mean CIEDE2000 than K-means in sRGB on" in (
            section
        )
    rate = read_csv(spaced_run / "results" / "tables" / "rate_distortion.csv")
    key = ("photo", "python", "cielab", "8")
    lab = next(r for r in rate if (r["image"], r["method"], r["space"], r["k_requested"]) == key)
    assert f"{float(lab['mean_ciede2000']):.4g}" in section
    # Every other section is of sRGB alone: the modes' verdicts count sRGB's pairs.
    agreement = read_csv(spaced_run / "results" / "tables" / "agreement.csv")
    srgb = sum(r["space"] == RGB for r in agreement)
    assert f"The {srgb} pairs of fits of the same task" in page


def test_the_report_weighs_each_space_on_the_seeds_every_space_ran() -> None:
    """sRGB's value beside CIELAB's is the mean over the seeds both ran, not over sRGB's own
    other seeds; the reference quantizers stand beside them; a method is named with its space."""
    from kmquant.report import _method, _space_cells

    def fit(space: str, seed: int, ciede: float) -> dict[str, str]:
        return {"image": "a", "impl": "python", "mode": "native", "space": space,
                "k_requested": "16", "seed": str(seed), "status": "ok",
                "mean_ciede2000": str(ciede), "ssim": "0.9"}  # fmt: skip

    fits = [fit("rgb", 0, 3.0), fit("rgb", 1, 5.0), fit("cielab", 0, 2.0)]
    tools = [{"image": "a", "method": "pngquant", "k_requested": "16", "status": "ok",
              "mean_ciede2000": "2.5", "ssim": "0.95"}]  # fmt: skip
    (cell,) = _space_cells(fits, tools, "python", "native", ["cielab"]).values()
    assert {method: values["mean_ciede2000"] for method, values in cell.items()} == {
        ("python", "rgb"): 3.0,
        ("python", "cielab"): 2.0,
        ("pngquant", ""): 2.5,
    }
    assert _method({"method": "python", "space": "oklab"}) == "python in Oklab"
    assert _method({"method": "pngquant", "space": ""}) == "pngquant"
