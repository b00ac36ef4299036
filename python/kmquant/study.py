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

from kmquant.implementations import implementation_ks
from kmquant.modes import MODES, TRACED_MODE
from kmquant.paths import RESULT_SUFFIXES

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


def _subsets(config: Mapping[str, Any]) -> list[tuple[str, list[Any], str]]:
    """(key, its values, the key they must be among) for every list the study will use that
    must lie within another: a mode's own seeds, the seeds of the implementations beyond the
    headline pair and of the convergence traces (where they are drawn) within `seeds`, each
    implementation's K values within `k_values`. (A `convergence_k` beyond `k_values` is
    fitted for its trace alone.)"""
    modes = [mode for mode in config.get("modes") or [] if mode in MODES]
    keys = {MODES[mode].seeds_key for mode in modes} | {"cross_seeds"}
    if TRACED_MODE in modes and config.get("convergence_k"):
        keys.add("convergence_seeds")
    lists = [(key, config.get(key) or [], "seeds") for key in sorted(keys - {"seeds"})]
    lists += [(f"implementation_k_values: {name}", ks, "k_values")
              for name, ks in (config.get("implementation_k_values") or {}).items()]  # fmt: skip
    return lists


def check_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """What the schema cannot say: a whole number written as a float (300.0, which JSON
    Schema counts as an integer but a command line does not), a key whose values must be
    among another key's, and a K that no implementation runs (its pairs would compare
    nothing). One message names the key and the value."""
    for key, spec in schema["properties"].items():
        for value in _integers(config.get(key), spec):
            if isinstance(value, float):
                raise ConfigError(f"config key '{key}': {value} is not a whole number: write "
                                  f"{int(value)}")  # fmt: skip
    for key, values, among in _subsets(config):
        for value in values:
            if value not in config[among]:
                raise ConfigError(f"config key '{key}': {value} is not among '{among}' "
                                  f"{config[among]}: add it to '{among}' or change "
                                  f"'{key.split(':')[0]}'")  # fmt: skip
    names = config.get("implementations", schema["properties"]["implementations"]["default"])
    run = {k for name in names for k in implementation_ks(name, config)}
    for k in config["k_values"]:
        if k not in run:
            raise ConfigError(f"config key 'k_values': {k} is run by no implementation of "
                              f"'implementations' {names}: let one run it in "
                              "'implementation_k_values' or remove it")  # fmt: skip


def _integers(value: Any, spec: Mapping[str, Any]) -> list[Any]:
    """The values of `value` that `spec` (of the schema) types as integers."""
    types = spec.get("type")
    if types == "integer" or (isinstance(types, list) and "integer" in types):
        return [value]
    if isinstance(value, list):
        return [v for item in value for v in _integers(item, spec.get("items", {}))]
    if isinstance(value, dict) and isinstance(spec.get("additionalProperties"), dict):
        return [v for item in value.values() for v in _integers(item, spec["additionalProperties"])]
    return []


def check_renamed_keys(config: Mapping[str, Any]) -> None:
    """One clear message for a config that still uses a key's old name."""
    for old, new in RENAMED_KEYS.items():
        if old in config:
            raise ConfigError(f"config key '{old}' is now called '{new}': rename it")


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
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_text).strip("_.-") or "image"
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
        if not path.is_symlink() and not path.exists():
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
