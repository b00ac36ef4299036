"""`kmquant compare-runs` on small hand-made result folders, each change with its exact report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmquant import fitting
from kmquant.compare_runs import report

FITS_CSV = (
    "image,impl,mode,k_requested,seed,status,sse\n"
    "photo,python,matched,2,0,ok,10.5\n"
    "photo,r,matched,2,0,ok,10.5\n"
)
PNG = "images/python/matched/photo/k2_s0.png"
FIT = "fits/python/matched/photo/k2_s0.npz"


def make_run(root: Path) -> Path:
    """A results folder with an environment, a table, an image, a fit, and the files a
    comparison leaves out (a log, a benchmark, the timings table)."""
    for folder in ("tables", "images/python/matched/photo", "fits/python/matched/photo", "logs"):
        (root / folder).mkdir(parents=True)
    env = {"python": "3.11.7", "r": {"version": "R 4.2.2"}, "packages": {"numpy": "2.4.6"}}
    (root / "environment.json").write_text(json.dumps(env))
    (root / "tables" / "fits.csv").write_text(FITS_CSV)
    (root / "tables" / "timings.csv").write_text(f"fit_seconds\n{root.name}\n")
    (root / "logs" / "fit.log").write_text(f"run {root.name}\n")
    Image.fromarray(np.zeros((2, 3, 3), dtype=np.uint8)).save(root / PNG)
    centres = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    fitting.save(fitting.FitResult(centres, labels, {"status": "ok"}), root / FIT)
    return root


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a = make_run(tmp_path / "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "logs" / "fit.log").write_text("another run\n")
    (b / "tables" / "timings.csv").write_text("fit_seconds\n9.9\n")
    return a, b


def expected(
    a: Path, b: Path, environments: str, files: str, tables: str, images: str, fits: str
) -> str:
    return (
        f"# Two runs compared\n\nA: `{a}`\nB: `{b}`\n\n## Environments\n\n{environments}\n\n"
        f"## Files\n\n{files}\n\n## Tables\n\n{tables}\n\n## Images\n\n{images}\n\n"
        f"## Fits\n\n{fits}\n"
    )


SAME_TABLE = "`tables/fits.csv`: 2 rows in both runs, 0 with a different value."
SAME_IMAGES = "1 images in both runs, 0 with different pixels."
SAME_FITS = "1 fits in both runs, 0 with other centres or labels."


def test_two_copies_of_a_run_are_the_same(runs: tuple[Path, Path]) -> None:
    a, b = runs
    assert report(a, b) == expected(
        a,
        b,
        "The same in both runs.",
        "3 files in both runs, 0 of them different.",
        SAME_TABLE,
        SAME_IMAGES,
        SAME_FITS,
    )


def test_a_changed_table_cell_is_named_with_its_row_and_difference(
    runs: tuple[Path, Path],
) -> None:
    a, b = runs
    (b / "tables" / "fits.csv").write_text(
        FITS_CSV.replace("r,matched,2,0,ok,10.5", "r,matched,2,0,ok,10.75")
    )
    table = (
        "`tables/fits.csv`: 2 rows in both runs, 1 with a different value.\n\n"
        "| row | column | A | B | difference |\n| --- | --- | --- | --- | --- |\n"
        "| image=photo impl=r mode=matched k\\_requested=2 seed=0 | sse | 10.5 | 10.75 "
        "| 0.25 (0.0238 relative) |"
    )
    assert report(a, b) == expected(
        a,
        b,
        "The same in both runs.",
        "3 files in both runs, 1 of them different.",
        table,
        SAME_IMAGES,
        SAME_FITS,
    )


def test_a_changed_pixel_is_counted_with_its_size(runs: tuple[Path, Path]) -> None:
    a, b = runs
    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    pixels[1, 2] = (0, 7, 3)
    Image.fromarray(pixels).save(b / PNG)
    images = (
        "1 images in both runs, 1 with different pixels.\n\n"
        "| image | pixels that differ | largest difference |\n| --- | --- | --- |\n"
        f"| `{PNG}` | 1 of 6 | 7 |"
    )
    assert report(a, b) == expected(
        a,
        b,
        "The same in both runs.",
        "3 files in both runs, 1 of them different.",
        SAME_TABLE,
        images,
        SAME_FITS,
    )


def test_a_missing_file_is_named(runs: tuple[Path, Path]) -> None:
    a, b = runs
    (b / PNG).unlink()
    assert report(a, b) == expected(
        a,
        b,
        "The same in both runs.",
        f"2 files in both runs, 0 of them different.\nOnly in A: `{PNG}`.",
        SAME_TABLE,
        "0 images in both runs, 0 with different pixels.",
        SAME_FITS,
    )


def test_a_different_environment_is_shown_side_by_side(runs: tuple[Path, Path]) -> None:
    a, b = runs
    env = {"python": "3.13.5", "r": {"version": "R 4.5.0"}, "packages": {"numpy": "2.4.6"}}
    (b / "environment.json").write_text(json.dumps(env))
    environments = (
        "| setting | A | B |\n| --- | --- | --- |\n"
        "| python | 3.11.7 | 3.13.5 |\n| r.version | R 4.2.2 | R 4.5.0 |"
    )
    assert report(a, b) == expected(
        a,
        b,
        environments,
        "3 files in both runs, 0 of them different.",
        SAME_TABLE,
        SAME_IMAGES,
        SAME_FITS,
    )


def test_moved_centres_and_labels_are_measured(runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = runs
    centres = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0 - 2 / 255]])
    labels = np.array([0, 0, 1, 1, 0, 0])
    fitting.save(fitting.FitResult(centres, labels, {"status": "ok"}), b / FIT)
    fits = (
        "1 fits in both runs, 1 with other centres or labels.\n\n"
        "| fit | largest centre difference (8-bit) | share of equal labels |\n"
        "| --- | --- | --- |\n"
        f"| `{FIT}` | 2 | 0.833333 |"
    )
    assert report(a, b) == expected(
        a,
        b,
        "The same in both runs.",
        "3 files in both runs, 1 of them different.",
        SAME_TABLE,
        SAME_IMAGES,
        fits,
    )
    out = tmp_path / "report.md"
    command = [sys.executable, "-m", "kmquant", "compare-runs", str(a), str(b), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    assert out.read_text() == report(a, b)


@pytest.mark.parametrize(
    ("nan_in", "fits"), [("both", SAME_FITS), ("b", "nan")], ids=["in both", "in one"]
)
def test_a_centre_r_left_empty_is_the_same_only_when_empty_in_both_runs(
    runs: tuple[Path, Path], nan_in: str, fits: str
) -> None:
    """R keeps an emptied cluster's centre as NaN (a real case: CQ100's color_checker at
    K = 256); two runs that both left it empty have the same fit."""
    a, b = runs
    empty = np.array([[0.0, 0.0, 0.0], [np.nan, np.nan, np.nan]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    for run in (a, b) if nan_in == "both" else (b,):
        # Another time in each run, as in real fits: the files differ, the fits need not.
        meta = {"status": "ok", "run": run.name}
        fitting.save(fitting.FitResult(empty, labels, meta), run / FIT)
    found = report(a, b).split("## Fits\n\n")[1]
    if fits == SAME_FITS:
        assert found == f"{SAME_FITS}\n"
    else:
        assert found.startswith("1 fits in both runs, 1 with other centres or labels.")
        assert found.endswith(f"| `{FIT}` | nan | 1 |\n")


def test_a_link_in_a_run_is_never_followed(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """A run B whose environment.json (or a folder) links elsewhere on the reader's machine
    puts nothing of there into the report."""
    a, b = runs
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "keys.json").write_text(json.dumps({"token": "hunter2"}))
    Image.fromarray(np.full((2, 3, 3), 9, dtype=np.uint8)).save(secret / "k2_s0.png")
    (b / "environment.json").unlink()
    (b / "environment.json").symlink_to(secret / "keys.json")
    (b / "images" / "r").symlink_to(secret, target_is_directory=True)
    text = report(a, b)
    assert "hunter2" not in text and "token" not in text
    assert "No environment.json (a file, not a link) in run B." in text
    assert (
        "Links and special files in B, not followed or read: `environment.json`, `images/r`."
        in text
    )
    assert SAME_IMAGES in text


def test_names_and_cells_are_written_escaped(runs: tuple[Path, Path]) -> None:
    a, b = runs
    (b / "tables" / "fits.csv").write_text(
        FITS_CSV.replace("r,matched,2,0,ok,10.5", 'r,matched,2,0,"ok | <img src=x>",10.5')
    )
    odd = "images/python/matched/photo/k2`[x](y)`.png"
    for root in (a, b):
        Image.fromarray(np.zeros((2, 3, 3), dtype=np.uint8)).save(root / odd)
    Image.fromarray(np.ones((2, 3, 3), dtype=np.uint8)).save(b / odd)
    text = report(a, b)
    assert "| ok | ok \\| \\<img src=x\\> |" in text
    assert "| images/python/matched/photo/k2\\`\\[x\\](y)\\`.png | 6 of 6 | 1 |" in text
    assert "<img" not in text.replace("\\<img", "")  # only ever escaped


def test_what_is_decoded_is_bounded(
    runs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kmquant import compare_runs

    a, b = runs
    Image.fromarray(np.ones((2, 3, 3), dtype=np.uint8)).save(b / PNG)
    (b / "tables" / "fits.csv").write_text(FITS_CSV.replace("10.5", "11"))
    monkeypatch.setattr(compare_runs, "MAX_IMAGE_PIXELS", 5)
    monkeypatch.setattr(compare_runs, "MAX_TABLE_BYTES", 50)
    text = report(a, b)
    assert f"| `{PNG}` | not compared: more than 5 pixels |  |" in text
    assert "`tables/fits.csv`: not compared (larger than 50 bytes)." in text
    assert "The environments are not compared (larger than 50 bytes)." in text


def test_every_pair_of_a_task_is_compared_and_a_ragged_row_does_not_stop_the_report(
    runs: tuple[Path, Path],
) -> None:
    a, b = runs
    header = "image,mode,k_requested,seed,impl_a,impl_b,share_equal_labels\n"
    pairs = "photo,matched,2,0,python,r,1.0\nphoto,matched,2,0,python,scipy,1.0\n"
    (a / "tables" / "agreement.csv").write_text(header + pairs)
    (b / "tables" / "agreement.csv").write_text(header + pairs.replace("r,1.0", "r,0.5"))
    cut_short = FITS_CSV.replace("r,matched,2,0,ok,10.5", "r,matched,2,0,ok")
    (b / "tables" / "fits.csv").write_text(cut_short)
    text = report(a, b)
    assert "`tables/agreement.csv`: 2 rows in both runs, 1 with a different value." in text
    assert (
        "impl\\_a=python impl\\_b=r | share\\_equal\\_labels | 1.0 | 0.5 | 0.5 (0.5 relative) |"
        in text
    )
    assert "`tables/fits.csv`: 2 rows in both runs, 1 with a different value." in text
    assert "| sse | 10.5 | None |  |" in text
