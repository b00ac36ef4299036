"""The images of a study: the files in `image_dir` plus the paths listed under `images`."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
)


class ConfigError(ValueError):
    """A config that passed the schema but names something that is not there."""


def image_name(path: str | Path) -> str:
    """A wildcard-safe name from a file name: ASCII letters, digits, '-', '_' and '.'."""
    stem = unicodedata.normalize("NFKD", Path(path).stem)
    ascii_stem = stem.encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_stem).strip("_.")
    return name or "image"


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
    found: dict[str, str] = {}
    for path in paths:
        name = image_name(path)
        if name in found and Path(found[name]).resolve() != path.resolve():
            raise ConfigError(
                f"config: {found[name]} and {path} both give the image name '{name}'; rename one"
            )
        found[name] = str(path)
    if not found:
        raise ConfigError("config keys 'image_dir' and 'images': no images found")
    return dict(sorted(found.items()))


def job_environment(
    python: str, workflow_dir: str | Path, env: Mapping[str, str]
) -> dict[str, str]:
    """PATH and PYTHONPATH under which every job runs `python -m kmquant` of this checkout.

    The running Python's folder goes first on PATH, so jobs use the environment that runs
    snakemake even when it was not activated; python/ goes on PYTHONPATH for environments
    that do not install kmquant (a rule's conda environment).
    """
    source = str(Path(workflow_dir) / "python")
    return {
        "PATH": os.pathsep.join([str(Path(python).parent), *filter(None, [env.get("PATH")])]),
        "PYTHONPATH": os.pathsep.join([source, *filter(None, [env.get("PYTHONPATH")])]),
    }
