"""The images of a study: the files in `image_dir`, the paths listed under `images` and the
images of its `datasets`."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kmquant.config_checks import ConfigError
from kmquant.paths import RESULT_SUFFIXES

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
)


#: The longest image name: every path of a result (with the temporary suffixes of atomic
#: writes) stays far below the 255 bytes a file name may have.
MAX_NAME = 64
#: Snakemake refuses a wildcard value whose end repeats 20 times or more (`aaaa...`).
_PERIODIC = re.compile(r"(.+)\1{19,}$")


def image_name(path: str | Path) -> str:
    """A name from a file name that is safe as a Snakemake wildcard, on a command line (it
    never starts with '-'), in a file name and in any table: ASCII letters, digits, '-', '_'
    and '.', at most MAX_NAME of them."""
    return _name(Path(path).stem, Path(path))


def _name(text: str, source: Path) -> str:
    # An accented letter keeps its letter (NFKD splits off the accent); any other character
    # becomes '_', as the README says.
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("_.-") or "image"
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in RESULT_SUFFIXES:  # `photo.png` would share the logs
        name = f"{stem}_{suffix}"  # of the folder `photo`, whose suffix they drop
    if len(name) <= MAX_NAME and not _PERIODIC.search(name):
        return name
    return f"{name[: MAX_NAME - 7]}_{_digest(source)}"


def _digest(path: Path) -> str:
    """Six hex digits of the SHA-256 of a path, whatever bytes its name holds."""
    return hashlib.sha256(os.fsencode(path)).hexdigest()[:6]


def image_names(paths: Sequence[Path]) -> dict[str, Path]:
    """Name every image of a study after its file, readable and the same on every run.

    Files whose names collide (`photo.jpg` and `photo.png`) are named with their extension
    (`photo_jpg`, `photo_png`); files that still collide (`a b.png` and `a_b.png`, or one
    name in two folders) also get the first six hex digits of the SHA-256 of their path.
    A file listed twice is studied once.
    """
    left = list({os.path.realpath(path): path for path in paths}.values())
    named: dict[str, Path] = {}
    for rule in (image_name, _with_extension, _with_path_hash):
        names = [rule(path) for path in left]
        taken = Counter(names)
        still = []
        for name, path in zip(names, left, strict=True):
            if taken[name] == 1 and name not in named:
                named[name] = path
            else:
                still.append(path)
        left = still
    if left:  # SHA-256 prefixes that collide: never seen, but never silent
        raise ConfigError(f"config: no distinct names for {', '.join(map(str, left))}")
    return named


def _with_extension(path: Path) -> str:
    return _name(f"{path.stem}_{path.suffix.lstrip('.')}", path)


def _with_path_hash(path: Path) -> str:
    return f"{_with_extension(path)[: MAX_NAME - 7]}_{_digest(path)}"


def refusal(path: Path) -> str | None:
    """Why a file of the study cannot be read as an image without trying (None if it can be
    tried): a path Snakemake cannot hold or take as an input, a link to nothing, or no regular
    file. Such a file is never opened (a FIFO would block its reader)."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return "its file name is not valid UTF-8: rename it"
    if re.search("[{}]", str(path)):  # Snakemake has no way to escape them in an input
        return "its path holds '{' or '}', which Snakemake reads as a wildcard: rename it"
    if path.is_symlink() and not path.exists():
        return "a link that leads to no file (dangling, or a loop)"
    if not path.is_file():
        return "not a regular file"
    if not os.access(path, os.R_OK):
        return "not readable"
    return None


def shown_path(path: str | Path) -> str:
    """A path as text that any table, log and command line can hold: bytes of its name that
    are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def discover_images(
    config: Mapping[str, Any], root: str | Path = ".", fetched: Sequence[Path] = ()
) -> dict[str, str]:
    """Map image name to path for every image of the study, sorted by name: those of
    `image_dir` and `images`, and the `fetched` images of its datasets (relative to `root`,
    where they are fetched to)."""
    root = Path(root)
    paths: list[Path] = [root / path for path in fetched]
    if config.get("image_dir"):
        folder = root / config["image_dir"]
        if not folder.is_dir():
            raise ConfigError(f"config key 'image_dir': {folder} is not a folder")
        paths += sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for listed in config.get("images", []):
        path = root / listed
        if not path.is_symlink() and not path.exists():
            raise ConfigError(f"config key 'images': {listed} does not exist")
        paths.append(path)
    if not paths:
        raise ConfigError("config keys 'image_dir', 'images' and 'datasets': no images found")
    return {name: str(path) for name, path in sorted(image_names(paths).items())}


#: How many images a study draws image grids and palettes of, unless it names them.
FIGURE_IMAGES = 4


def figure_images(accepted: Sequence[str], chosen: Sequence[str] | None) -> list[str]:
    """The accepted images whose per-image figures are drawn: those `chosen`
    (`per_image_figures`), or every one of a study of at most FIGURE_IMAGES, else the first
    FIGURE_IMAGES by name; so that a benchmark of a hundred photographs draws a few, not a
    hundred."""
    if chosen is None:
        return sorted(accepted)[:FIGURE_IMAGES]
    return [name for name in chosen if name in accepted]


def job_environment(python: str, env: Mapping[str, str]) -> dict[str, str]:
    """PATH and PYTHONPATH under which every job runs the `python -m kmquant` that the
    workflow itself imported.

    The running Python's folder goes first on PATH, so jobs use the environment that runs
    snakemake even when it was not activated; the folder that holds this kmquant package (a
    checkout's python/) goes first on PYTHONPATH, for environments that do not install kmquant
    (a rule's conda environment) and so that a job never runs another copy of it.
    """
    source = str(Path(__file__).resolve().parents[1])
    return {
        "PATH": os.pathsep.join([str(Path(python).parent), *filter(None, [env.get("PATH")])]),
        "PYTHONPATH": os.pathsep.join([source, *filter(None, [env.get("PYTHONPATH")])]),
    }
