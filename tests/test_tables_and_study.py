"""Result tables and the discovery of a study's images."""

from __future__ import annotations

import math
import os
import re
from hashlib import sha256
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, small_photo, whole_run
from kmquant import tables
from kmquant.config_checks import (
    ConfigError,
    check_config,
    check_figure_images,
    narrowed,
    with_integer_lists,
)
from kmquant.study import discover_images, figure_images, image_name, refusal, shown_path

SCHEMA = yaml.safe_load((ROOT / "workflow" / "config.schema.yaml").read_text())


def test_format_value_is_stable_and_exact() -> None:
    assert tables.format_value(0.1 + 0.2) == "0.30000000000000004"
    assert float(tables.format_value(1 / 3)) == 1 / 3
    assert tables.format_value(True) == "true"
    assert tables.format_value(None) == ""
    assert tables.format_value(math.inf) == "inf"


def test_write_table_sorts_rows_by_their_identity(tmp_path: Path) -> None:
    rows = [
        {"image": "b", "impl": "r", "mode": "native", "k_requested": 2, "seed": 0},
        {"image": "a", "impl": "r", "mode": "native", "k_requested": 16, "seed": 0},
        {"image": "a", "impl": "r", "mode": "native", "k_requested": 4, "seed": 1},
    ]
    columns = ("image", "k_requested", "seed")
    tables.write_table(tmp_path / "t.csv", columns, rows)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines == ["image,k_requested,seed", "a,4,1", "a,16,0", "b,2,0"]


def test_read_benchmark(tmp_path: Path) -> None:
    path = tmp_path / "b.tsv"
    path.write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
        "2.5\t0:00:02\t120.5\t300\t100\t101\t0\t1\t50\t2.25\n"
    )
    assert tables.read_benchmark(path) == {
        "job_wall_seconds": 2.5,
        "job_cpu_seconds": 2.25,
        "job_max_rss_mb": 120.5,
    }


def test_each_fit_gets_the_time_of_the_job_that_fitted_its_image(tmp_path: Path) -> None:
    """One job fits every K, mode and seed of one (implementation, image)."""
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    jobs = {
        "a": "9.0\t0:00:09\t300\t0\t0\t0\t0\t0\t90\t8.5\n",
        "b": "4.0\t0:00:04\t200\t0\t0\t0\t0\t0\t90\t3.5\n",
    }
    folder = tmp_path / "results" / "benchmarks" / "fits" / "r"
    folder.mkdir(parents=True)
    for name, line in jobs.items():
        (folder / f"{name}.tsv").write_text(header + line)
    fit = {"image": "a", "impl": "r", "mode": "matched", "fit_seconds": 1.0}
    fits = [
        fit | {"k_requested": 8, "seed": 0},
        fit | {"k_requested": 8, "seed": 1},
        fit | {"k_requested": 16, "seed": 0, "mode": "tied"},
        fit | {"k_requested": 16, "seed": 0, "image": "b"},
    ]
    reference = {"image": "a", "method": "pngquant", "k_requested": 8, "fit_seconds": 0.1}
    rows = tables.timing_rows(fits, [reference], whole_run(tmp_path / "results"))
    assert [(r["image"], r["k_requested"], r["job_fits"], r["job_wall_seconds"],
             r["job_cpu_seconds"], r["job_max_rss_mb"]) for r in rows[:4]] == [
        ("a", 8, 3, 9.0, 8.5, 300.0), ("a", 8, 3, 9.0, 8.5, 300.0),
        ("a", 16, 3, 9.0, 8.5, 300.0), ("b", 16, 1, 4.0, 3.5, 200.0)
    ]  # fmt: skip
    assert rows[4] == reference | {"impl": "pngquant", "mode": "reference"}


def test_image_names_are_wildcard_safe() -> None:
    assert image_name("data/My Photo (1).JPG") == "My_Photo_1"
    # The README's rule: an accent is dropped, any other character becomes '_' (a run of them
    # one '_'), and a name with none of the allowed characters left is 'image'.
    assert image_name("Ärger über Straße.png") == "Arger_uber_Stra_e"
    assert image_name("café №5 ½.png") == "cafe_No5_1_2"
    assert image_name("日本.png") == "image"
    assert image_name("日本-photo.png") == "photo"


def test_discover_images_from_folder_and_list(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "b.png").write_bytes(b"")
    (tmp_path / "data" / "notes.txt").write_text("not an image")
    (tmp_path / "extra.jpg").write_bytes(b"")
    found = discover_images({"image_dir": "data", "images": ["extra.jpg"]}, root=tmp_path)
    assert found == {"b": str(tmp_path / "data" / "b.png"), "extra": str(tmp_path / "extra.jpg")}


def test_names_are_safe_for_command_lines_file_systems_and_wildcards(tmp_path: Path) -> None:
    assert image_name("data/-x.jpg") == "x"  # never read as an option
    assert image_name("NA.png") == "NA"  # tables read names as text (figures.NAME_COLUMNS)
    assert image_name("a{b}.png") == "a_b"
    # A result's suffix in a name would make the log of `foo.csv` the log of `foo`.
    assert [image_name(f) for f in ("foo.png", "foo.csv.png", "foo.PNG.jpg", "my.photo.jpg")] == [
        "foo",
        "foo_csv",
        "foo_PNG",
        "my.photo",
    ]
    long = image_name("p" * 236 + ".png")
    assert len(long) == 64 and re.fullmatch("p{57}_[0-9a-f]{6}", long)
    # Snakemake refuses a value whose end repeats 20 times: such a name ends in a digest.
    assert re.fullmatch("a{25}_[0-9a-f]{6}", image_name("a" * 25 + ".png"))
    assert image_name("ab" * 9 + ".png") == "ab" * 9
    undecodable = Path(os.fsdecode(b"caf\xe9.png"))
    assert image_name(undecodable) == "caf"
    assert shown_path(undecodable) == "caf\ufffd.png"


def test_files_that_cannot_be_images_are_refused_without_being_opened(tmp_path: Path) -> None:
    small_photo().save(tmp_path / "ok.png")
    (tmp_path / "dead.png").symlink_to(tmp_path / "gone.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "elsewhere").mkdir()
    small_photo().save(tmp_path / "elsewhere" / "photo.png")
    (tmp_path / "link.png").symlink_to(tmp_path / "elsewhere" / "photo.png")
    (tmp_path / "dir.png").mkdir()
    small_photo().save(tmp_path / "a{b}.png")
    os.mkfifo(tmp_path / "pipe.png")  # opening it for reading would wait for a writer
    undecodable = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png"))
    small_photo().save(undecodable, "PNG")
    found = discover_images({"image_dir": "."}, root=tmp_path)
    refused = {name: refusal(Path(path)) for name, path in found.items()}
    assert refused == {
        "ok": None,
        "link": None,
        "caf": "its file name is not valid UTF-8: rename it",
        "dead": "a link that leads to no file (dangling, or a loop)",
        "loop": "a link that leads to no file (dangling, or a loop)",
        "dir": "not a regular file",
        "pipe": "not a regular file",
        "a_b": "its path holds '{' or '}', which Snakemake reads as a wildcard: rename it",
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"max_iter": 300.0}, "config key 'max_iter': 300.0 is not a whole number: write 300"),
        ({"k_values": [2.0, 4]}, "config key 'k_values': 2.0 is not a whole number"),
        ({"implementation_k_values": {"amap": [4.0]}}, "'implementation_k_values': 4.0 is not"),
        ({"implementations": ["amap"], "implementation_k_values": {"amap": [2]}},
         "config key 'k_values': 4 is run by no implementation of 'implementations' ['amap']: "
         "let one run it in 'implementation_k_values' or remove it"),
    ],
)  # fmt: skip
def test_a_config_is_checked_beyond_its_schema(change: dict, expected: str) -> None:
    config = {
        "k_values": [2, 4],
        "seeds": [0, 1],
        "modes": ["matched", "tied"],
        "convergence_k": [4],
    } | change
    with pytest.raises(ConfigError, match=re.escape(expected)):
        check_config(narrowed(config)[0], SCHEMA)


def test_narrowing_k_values_or_seeds_narrows_every_list_drawn_from_them() -> None:
    """The shipped config with `k_values` [2, 16] and `seeds` [0] (the README's override):
    each implementation runs what remains of its own K values, and each value left out is
    said once."""
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text())
    config, dropped = narrowed(shipped | {"k_values": [2, 16], "seeds": [0]})
    assert config["implementation_k_values"] == {
        "elkan": [16],
        "scipy": [16],
        "opencv": [16],
        "faiss": [16],
        "amap": [16],
    }
    assert config["space_k_values"] == [16]
    assert dropped == [
        "config key 'space_k_values': [64] not among 'k_values' [2, 16], left out"
    ] + [
        f"config key 'implementation_k_values: {name}': {gone} not among 'k_values' [2, 16], "
        "left out"
        for name, gone in [
            ("amap", [4]),
            ("elkan", [4, 64]),
            ("faiss", [4, 64]),
            ("opencv", [4, 64]),
            ("scipy", [4, 64]),
        ]
    ]
    check_config(config, SCHEMA)
    assert shipped["implementation_k_values"]["amap"] == [4, 16]  # the given config untouched
    seeds = {"k_values": [2], "seeds": [0, 1], "modes": ["matched", "tied"], "convergence_k": [2]}
    config, dropped = narrowed(seeds | {"tied_seeds": [1, 5], "convergence_seeds": [0, 1]})
    assert (config["tied_seeds"], config["convergence_seeds"]) == ([1], [0, 1])
    assert dropped == ["config key 'tied_seeds': [5] not among 'seeds' [0, 1], left out"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cross_seeds": [2]},
         "config key 'cross_seeds': none of [2] is among 'seeds' [0, 1]: add one to 'seeds' or "
         "change 'cross_seeds'"),
        ({"convergence_seeds": [3]}, "config key 'convergence_seeds': none of [3] is among"),
        ({"implementation_k_values": {"amap": [3, 8]}},
         "config key 'implementation_k_values: amap': none of [3, 8] is among 'k_values' [2, 4]: "
         "add one to 'k_values' or change 'implementation_k_values'"),
    ],
)  # fmt: skip
def test_a_list_narrowed_to_nothing_is_an_error(change: dict, expected: str) -> None:
    config = {
        "k_values": [2, 4],
        "seeds": [0, 1],
        "modes": ["matched", "tied"],
        "convergence_k": [4],
    } | change
    with pytest.raises(ConfigError, match=re.escape(expected)):
        narrowed(config)


def test_a_seed_list_the_study_does_not_use_need_not_be_among_the_seeds() -> None:
    unused = {"tied_seeds": [0], "convergence_k": [4], "convergence_seeds": [0]}
    config = {"k_values": [2, 4], "seeds": [5], "modes": ["native"]} | unused
    assert narrowed(config) == (config | {"implementation_k_values": {}}, [])
    traced = {"k_values": [2], "seeds": [5], "modes": ["matched"], "convergence_k": []}
    config = traced | {"convergence_seeds": [0]}
    assert narrowed(config) == (config | {"implementation_k_values": {}}, [])


def test_missing_listed_image_names_the_key(tmp_path: Path) -> None:
    message = re.escape("config key 'images': nope.png does not exist")
    with pytest.raises(ConfigError, match=message):
        discover_images({"image_dir": None, "images": ["nope.png"]}, root=tmp_path)


def test_files_with_one_stem_are_named_with_their_extension(tmp_path: Path) -> None:
    for name in ("photo.jpg", "photo.png", "other.png", "photo_jpg.gif"):
        (tmp_path / name).write_bytes(b"")
    found = discover_images({"image_dir": "."}, root=tmp_path)
    assert (
        found
        == {
            "other": str(tmp_path / "other.png"),
            "photo_jpg": str(tmp_path / "photo_jpg.gif"),  # its own name, taken first
            "photo_png": str(tmp_path / "photo.png"),
            # photo.jpg's name with its extension is taken: it gets its path's hash too.
            "photo_jpg_" + sha256(str(tmp_path / "photo.jpg").encode()).hexdigest()[:6]: str(
                tmp_path / "photo.jpg"
            ),
        }
    )


def test_names_equal_after_replacing_characters_get_their_paths_hash(tmp_path: Path) -> None:
    for name in ("a b.png", "a_b.png"):
        (tmp_path / name).write_bytes(b"")
    found = discover_images({"image_dir": "."}, root=tmp_path)
    assert found == {
        f"a_b_png_{sha256(str(tmp_path / name).encode()).hexdigest()[:6]}": str(tmp_path / name)
        for name in ("a b.png", "a_b.png")
    }
    assert discover_images({"image_dir": "."}, root=tmp_path) == found  # the same every run


def test_a_file_listed_twice_is_studied_once(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"")
    found = discover_images({"image_dir": ".", "images": ["a.png"]}, root=tmp_path)
    assert list(found) == ["a"]


def test_integer_lists_given_on_the_command_line_become_integers() -> None:
    schema = {"properties": {"k_values": {"items": {"type": "integer"}}, "images": {}}}
    config = {"k_values": ["2", " 16", 4, "2.5", "x"], "images": ["7"], "max_iter": 3}
    assert with_integer_lists(config, schema) == {
        "k_values": [2, 16, 4, "2.5", "x"],  # what is not a whole number stays for the schema
        "images": ["7"],
        "max_iter": 3,
    }


def test_per_image_figures_are_drawn_for_a_few_images() -> None:
    images = [f"photo{n}" for n in range(6)]
    assert figure_images(images[:3], None) == images[:3]  # a small study: every one
    assert figure_images(images[::-1], None) == images[:4]  # else the first four
    assert figure_images(images[:5], ["photo5", "photo1"]) == ["photo1"]  # accepted
    check_figure_images(["photo5", "photo1"], images)
    with pytest.raises(ConfigError, match="'per_image_figures': nope is not an image"):
        check_figure_images(["nope"], images)
