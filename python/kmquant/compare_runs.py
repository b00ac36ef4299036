"""Two runs of the study side by side, for a rerun on another machine: the environments, which
files differ, which table cells differ and by how much, which images differ in their pixels,
and how far each fit's centres and labels moved (`kmquant compare-runs A B`).

Logs, benchmarks and timings differ on every run and are left out. Both folders are read as
untrusted: no link is followed, nothing larger than a bound is decoded, and every name and
cell is written into the Markdown escaped.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import stat
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kmquant.atomic import write_text
from kmquant.manifest import SNAKEMAKE_MARK, sha256

#: The columns that name a row of a result table (the others are its values).
KEY_COLUMNS = (
    "image", "impl", "mode", "space", "method", "metric", "target", "k_requested", "seed",
    "impl_a", "impl_b", "method_a", "mode_a", "space_a", "method_b", "mode_b", "space_b",
    "iteration", "cluster",
)  # fmt: skip
#: What differs on every run by nature: not compared.
SKIPPED = ("logs", "benchmarks", "timings", "tables/timings.csv", "environment.json")
#: A run's result files by their path under its results folder.
Files = dict[str, Path]
#: Table rows listed per table at most; the count of the others is given.
MAX_ROWS = 20
#: The most that is decoded of one file: a table's bytes, an image's pixels (Pillow's own
#: decompression-bomb limit) and a fit's arrays, uncompressed.
MAX_TABLE_BYTES = 256 * 2**20
MAX_IMAGE_PIXELS = 89_478_485
MAX_FIT_BYTES = 2 * 2**30


class TooLarge(ValueError):
    """A file beyond what a comparison decodes."""


def regular_file(path: Path) -> bool:
    """A regular file that is no link (whatever it would lead to)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def walk(root: Path) -> tuple[Files, list[str]]:
    """Every regular file under `root` by its path there, and the other entries (links,
    special files), which are never followed or read."""
    files, others = {}, []
    for folder, folders, names in os.walk(root):
        here = Path(folder)
        for name in sorted(names) + [n for n in folders if (here / n).is_symlink()]:
            path = here / name
            relative = path.relative_to(root).as_posix()
            if regular_file(path):
                files[relative] = path
            else:
                others.append(relative)
    return dict(sorted(files.items())), sorted(others)


def result_files(files: Files) -> Files:
    """The result files among a run's `files` (from `walk`), without the skipped ones."""
    return {
        name: path
        for name, path in files.items()
        if not any(name == s or name.startswith(f"{s}/") for s in SKIPPED)
        and path.name != SNAKEMAKE_MARK
    }


#: What Markdown (with GitHub's extensions) could read as a mark: a link or an image (their
#: brackets), HTML, an entity, code, emphasis, strikethrough, maths, a table cell.
_MARKDOWN = re.compile(r"([\\`*_~\[\]|<>&$])")
#: Where GitHub would make a bare address a link (`https://...`, `www....`).
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)", re.IGNORECASE)


def text(value: Any) -> str:
    """A value as Markdown text that shows it as it is: one line, its marks escaped."""
    escaped = _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))
    return _AUTOLINK.sub("\\\\", escaped)


def code(name: str) -> str:
    """A file name as code, where it holds only the characters of the study's own names."""
    return f"`{name}`" if re.fullmatch(r"[A-Za-z0-9_./-]+", name) else text(name)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A nested JSON object as dotted keys and text values."""
    if isinstance(value, Mapping):
        flat: dict[str, str] = {}
        for key, inner in value.items():
            flat |= flatten(inner, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): value if isinstance(value, str) else json.dumps(value)}


def environment_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """(key, value in A, value in B) wherever the two environments differ."""
    flat_a, flat_b = flatten(a), flatten(b)
    keys = sorted(flat_a.keys() | flat_b.keys())
    return [
        (key, flat_a.get(key, "(none)"), flat_b.get(key, "(none)"))
        for key in keys
        if flat_a.get(key) != flat_b.get(key)
    ]


def _bounded(path: Path, limit: int) -> Path:
    if path.stat().st_size > limit:
        raise TooLarge(f"larger than {limit} bytes")
    return path


def _rows(path: Path) -> dict[tuple[str, ...], dict[str, str]]:
    with open(_bounded(path, MAX_TABLE_BYTES), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    key = [column for column in KEY_COLUMNS if rows and column in rows[0]]
    return {tuple(f"{column}={row[column]}" for column in key): row for row in rows}


def difference(a: str, b: str) -> str:
    """How far apart two cells are: absolute and relative for numbers, nothing for text."""
    try:
        x, y = float(a), float(b)
    except (ValueError, TypeError):  # text, or a row with a missing or an extra field
        return ""
    if not (math.isfinite(x) and math.isfinite(y)):
        return ""
    gap = abs(x - y)
    return f"{gap:.3g} ({gap / abs(x):.3g} relative)" if x else f"{gap:.3g}"


def table_differences(
    a: Path, b: Path
) -> tuple[int, list[tuple[str, str, str, str, str]], list[str]]:
    """(rows in both, (row, column, A, B, difference) per differing cell, rows in one only)."""
    rows_a, rows_b = _rows(a), _rows(b)
    cells = [
        (" ".join(key), column, rows_a[key][column], rows_b[key].get(column, "(none)"))
        for key in sorted(rows_a.keys() & rows_b.keys())
        for column in rows_a[key]
        if rows_a[key][column] != rows_b[key].get(column, "(none)")
    ]
    alone = [f"{' '.join(k)} (only in A)" for k in sorted(rows_a.keys() - rows_b.keys())]
    alone += [f"{' '.join(k)} (only in B)" for k in sorted(rows_b.keys() - rows_a.keys())]
    with_gap = [(*cell, difference(cell[2], cell[3])) for cell in cells]
    return len(rows_a.keys() & rows_b.keys()), with_gap, alone


def _pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise TooLarge(f"more than {MAX_IMAGE_PIXELS} pixels")
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def image_difference(a: Path, b: Path) -> tuple[int, int, int] | None:
    """(pixels, pixels that differ, largest channel difference), None if the sizes differ."""
    x, y = _pixels(a), _pixels(b)
    if x.shape != y.shape:
        return None
    gap = np.abs(x - y).max(axis=-1)
    return gap.size, int((gap > 0).sum()), int(gap.max(initial=0))


def fit_difference(a: Path, b: Path) -> tuple[float, float] | None:
    """(largest centre difference in 8-bit units, share of equal labels) of two saved fits;
    None when either failed or their K differ. A fit in a colour space has its centres taken
    back to sRGB first (unclipped, as the study compares fits: agreement.compare_in_space)."""
    from kmquant.fitting import load, space_of
    from kmquant.spaces import SPACES

    for path in (a, b):
        with zipfile.ZipFile(path) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_FIT_BYTES:
                raise TooLarge(f"arrays of more than {MAX_FIT_BYTES} bytes")
    x, y = load(a), load(b)
    if not (x.ok and y.ok) or x.centres.shape != y.centres.shape:
        return None
    first, second = (SPACES[space_of(fit.meta)].inverse(fit.centres) for fit in (x, y))
    # R keeps an emptied cluster's centre as NaN: NaN in both runs is the same centre, NaN in
    # one only a difference (NaN in the table).
    gap = np.where(np.isnan(first) & np.isnan(second), 0.0, np.abs(first - second))
    return 255.0 * float(gap.max()), float(np.mean(x.labels == y.labels))


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    """A Markdown table of cells written as they are (`text`), except those already rendered
    (`Shown`: file names as code)."""
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]


class Shown(str):
    """Text already rendered as Markdown."""


def _cell(value: Any) -> str:
    return value if isinstance(value, Shown) else text(value)


def _capped(rows: Sequence[Any]) -> tuple[Sequence[Any], list[str]]:
    more = len(rows) - MAX_ROWS
    return rows[:MAX_ROWS], ([f"... and {more} more."] if more > 0 else [])


def _environment_section(a: Path, b: Path) -> list[str]:
    missing = [
        run for run, root in (("A", a), ("B", b)) if not regular_file(root / "environment.json")
    ]
    if missing:
        return [
            "## Environments",
            "",
            f"No environment.json (a file, not a link) in run {' and '.join(missing)}.",
        ]
    try:
        paths = [_bounded(root / "environment.json", MAX_TABLE_BYTES) for root in (a, b)]
        envs = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    except (TooLarge, ValueError, RecursionError) as error:
        return ["## Environments", "", f"The environments are not compared ({text(error)})."]
    differing = environment_differences(*envs)
    if not differing:
        return ["## Environments", "", "The same in both runs."]
    return ["## Environments", "", *_table(["setting", "A", "B"], differing)]


def _file_section(
    files_a: Files, files_b: Files, changed: set[str], unread: dict[str, list[str]]
) -> list[str]:
    both = files_a.keys() & files_b.keys()
    lines = ["## Files", "", f"{len(both)} files in both runs, {len(changed)} of them different."]
    alone = {"A": files_a.keys() - files_b.keys(), "B": files_b.keys() - files_a.keys()}
    for run, names in alone.items():
        if names:
            lines.append(f"Only in {run}: " + ", ".join(map(code, sorted(names))) + ".")
    for run, links in unread.items():
        if links:
            lines.append(
                f"Links and special files in {run}, not followed or read: "
                + ", ".join(map(code, links))
                + "."
            )
    return lines


def _tables_section(names: list[str], files_a: Files, files_b: Files) -> list[str]:
    lines = ["## Tables"]
    # The result tables; other CSV files (initial centres) are compared as files.
    for name in (n for n in names if n.startswith("tables/") and n.endswith(".csv")):
        try:
            n_rows, cells, alone = table_differences(files_a[name], files_b[name])
        except (TooLarge, csv.Error, UnicodeDecodeError, TypeError) as error:
            lines += ["", f"{code(name)}: not compared ({text(error)})."]
            continue
        rows = {cell[0] for cell in cells}
        lines += [
            "",
            f"{code(name)}: {n_rows} rows in both runs, {len(rows)} with a different value.",
        ]
        if alone:
            lines.append("Rows in one run only: " + "; ".join(map(text, alone)) + ".")
        if cells:
            shown, more = _capped(cells)
            lines += ["", *_table(["row", "column", "A", "B", "difference"], shown), *more]
    return lines


def _listing(
    title: str, summary: str, header: list[str], rows: Sequence[tuple[Any, ...]]
) -> list[str]:
    """A section: its summary line and, where something differs, a table of it."""
    lines = [f"## {title}", "", summary]
    if rows:
        shown, more = _capped(rows)
        lines += ["", *_table(header, shown), *more]
    return lines


def _images_section(
    names: list[str], changed: set[str], files_a: Files, files_b: Files
) -> list[str]:
    """Images whose bytes differ, decoded and compared pixel by pixel (figures left out)."""
    pngs = [n for n in names if n.endswith(".png") and not n.startswith("figures/")]
    rows: list[tuple[Shown, str, str | int]] = []
    for name in (n for n in pngs if n in changed):
        try:
            found = image_difference(files_a[name], files_b[name])
        except Exception as error:  # Pillow raises many kinds for a file it cannot decode
            rows.append((Shown(code(name)), f"not compared: {error}", ""))
            continue
        if found is None:
            rows.append((Shown(code(name)), "sizes differ", ""))
        elif found[1]:
            rows.append((Shown(code(name)), f"{found[1]} of {found[0]}", found[2]))
    summary = f"{len(pngs)} images in both runs, {len(rows)} with different pixels."
    return _listing("Images", summary, ["image", "pixels that differ", "largest difference"], rows)


def _fits_section(names: list[str], changed: set[str], files_a: Files, files_b: Files) -> list[str]:
    """Saved fits whose bytes differ, compared by centres and labels."""
    fits = [n for n in names if n.startswith("fits/") and n.endswith(".npz")]
    rows = []
    for name in (n for n in fits if n in changed):
        try:
            found = fit_difference(files_a[name], files_b[name])
        except (TooLarge, zipfile.BadZipFile, ValueError, KeyError, OSError) as error:
            rows.append((Shown(code(name)), f"not compared: {error}", ""))
            continue
        if found is None:
            rows.append((Shown(code(name)), "failed or another K", ""))
        elif found != (0.0, 1.0):
            rows.append((Shown(code(name)), f"{found[0]:.3g}", f"{found[1]:.6g}"))
    summary = f"{len(fits)} fits in both runs, {len(rows)} with other centres or labels."
    header = ["fit", "largest centre difference (8-bit)", "share of equal labels"]
    return _listing("Fits", summary, header, rows)


def report(a: Path, b: Path) -> str:
    """The Markdown report comparing run A (the results folder `a`) with run B."""
    (all_a, unread_a), (all_b, unread_b) = walk(a), walk(b)
    files_a, files_b = result_files(all_a), result_files(all_b)
    unread = {"A": unread_a, "B": unread_b}
    both = sorted(files_a.keys() & files_b.keys())
    # Each pair of files is hashed once; only those that differ are decoded and compared.
    changed = {name for name in both if sha256(files_a[name]) != sha256(files_b[name])}
    sections = [
        ["# Two runs compared", "", f"A: {code(str(a))}", f"B: {code(str(b))}"],
        _environment_section(a, b),
        _file_section(files_a, files_b, changed, unread),
        _tables_section(both, files_a, files_b),
        _images_section(both, changed, files_a, files_b),
        _fits_section(both, changed, files_a, files_b),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def write(a: str | Path, b: str | Path, out: str | Path | None) -> None:
    """The report of runs `a` and `b` (results folders), to `out` or printed."""
    text = report(Path(a), Path(b))
    if out:
        write_text(out, text)
    else:
        sys.stdout.write(text)
