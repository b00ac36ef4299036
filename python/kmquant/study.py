"""The images of a study: the files in `image_dir` plus the paths listed under `images`."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
)


class ConfigError(ValueError):
    """A config that names something that is not there, or a key by an old name."""


#: Keys renamed since an earlier version of the study: old name, new name. One-letter keys
#: cannot be set with `snakemake --config` (Snakemake 8.17 and later reject them).
RENAMED_KEYS = {"k": "k_values"}


def with_integer_lists(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """The config with the whole numbers of every integer list as integers.

    Snakemake's `--config k_values='[2,16]'` gives the list ['2', '16'] (it infers types only
    for top-level values); every other value is left for the schema to judge.
    """
    fixed = dict(config)
    for key, spec in schema["properties"].items():
        if spec.get("items", {}).get("type") == "integer" and isinstance(fixed.get(key), list):
            fixed[key] = [
                int(v) if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()) else v
                for v in fixed[key]
            ]
    return fixed


def check_renamed_keys(config: Mapping[str, Any]) -> None:
    """One clear message for a config that still uses a key's old name."""
    for old, new in RENAMED_KEYS.items():
        if old in config:
            raise ConfigError(f"config key '{old}' is now called '{new}': rename it")


def image_name(path: str | Path) -> str:
    """A wildcard-safe name from a file name: ASCII letters, digits, '-', '_' and '.'."""
    return _safe(Path(path).stem)


def _safe(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_text).strip("_.") or "image"


def image_names(paths: Sequence[Path]) -> dict[str, Path]:
    """Name every image of a study after its file, readable and the same on every run.

    Files whose names collide (`photo.jpg` and `photo.png`) are named with their extension
    (`photo_jpg`, `photo_png`); files that still collide (`a b.png` and `a_b.png`, or one
    name in two folders) also get the first six hex digits of the SHA-256 of their path.
    A file listed twice is studied once.
    """
    left = list({path.resolve(): path for path in paths}.values())
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
    return _safe(f"{path.stem}_{path.suffix.lstrip('.')}")


def _with_path_hash(path: Path) -> str:
    return f"{_with_extension(path)}_{hashlib.sha256(str(path).encode()).hexdigest()[:6]}"


def discover_images(config: Mapping[str, Any], root: str | Path = ".") -> dict[str, str]:
    """Map image name to path for every image of the study, sorted by name."""
    root = Path(root)
    paths: list[Path] = []
    if config.get("image_dir"):
        folder = root / config["image_dir"]
        if not folder.is_dir():
            raise ConfigError(f"config key 'image_dir': {folder} is not a folder")
        paths += sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for listed in config.get("images", []):
        path = root / listed
        if not path.is_file():
            raise ConfigError(f"config key 'images': {listed} does not exist")
        paths.append(path)
    if not paths:
        raise ConfigError("config keys 'image_dir' and 'images': no images found")
    return {name: str(path) for name, path in sorted(image_names(paths).items())}


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
