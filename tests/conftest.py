"""Shared fixtures: small images built at test time and a real snakemake runner."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from kmquant.datasets import COLUMNS
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.paths import Inputs, Results

ROOT = Path(__file__).resolve().parents[1]
FIVE_COLOURS = np.array(
    [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [20, 20, 20]], dtype=np.uint8
)

#: Result files (under results/) that every run of the same config reproduces byte for byte.
REPRODUCIBLE = (
    "tables/fits.csv",
    "tables/agreement.csv",
    "tables/native_summary.csv",
    "tables/reference.csv",
    "tables/ranking.csv",
    "tables/rate_distortion.csv",
    "tables/k_for_quality.csv",
    "tables/convergence.csv",
    "tables/convergence_check.csv",
    "manifest.sha256",  # every PNG, initial centres and pair record too
    "report/explorer.html",
)


#: Points with continuous values (no exact ties between centres) and four of them as a start.
_RNG = np.random.default_rng(5)
X = _RNG.random((400, 3))  # continuous values: no exact ties between centres
INIT = X[[3, 50, 120, 300]].copy()
#: Points along a line with every initial centre crowded at one end: Lloyd needs 113
#: iterations here, more than OpenCV's cap of 100.
_T = np.sort(np.random.default_rng(0).random(500))
SLOW = np.stack([_T, 0.5 * _T, 1 - _T], axis=1)
SLOW_INIT = SLOW[:16].copy()


def reference_lloyd(x: np.ndarray, centres: np.ndarray, max_iter: int) -> tuple[np.ndarray, int]:
    """Textbook Lloyd: assign, move, stop at the first pass that changes no label (that
    pass counts as an iteration)."""
    labels = np.full(len(x), -1)
    for iteration in range(1, max_iter + 1):
        new = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        if np.array_equal(new, labels):
            return labels, iteration
        labels = new
        centres = np.array([x[labels == j].mean(axis=0) for j in range(len(centres))])
    return labels, max_iter


def five_colour_image(height: int = 20, width: int = 30) -> np.ndarray:
    rng = np.random.default_rng(1)
    return FIVE_COLOURS[rng.integers(0, 5, (height, width))]


def small_photo(width: int = 48, height: int = 32) -> Image.Image:
    """A downscaled copy of a shipped photograph: real colour statistics, few pixels."""
    with Image.open(ROOT / "data" / "china.jpg") as im:
        return im.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)


#: The metadata columns of the tests' datasets, one per column the study reads (COLUMNS).
METADATA_HEADER = ("Name", "Colours", "Licence", "By", "From")


def metadata_csv(rows: list[list[str]]) -> bytes:
    """A dataset's metadata table of `rows` (name, colours, licence, author, source)."""
    return "".join(",".join(row) + "\r\n" for row in [list(METADATA_HEADER), *rows]).encode()


def describe_dataset(folder: Path, name: str, url: str, files: dict[str, bytes]) -> Path:
    """A dataset's description in `folder` as a registered dataset has it: its YAML file
    (returned), the SHA-256 list of `files` (their paths and bytes) and the columns of
    `metadata.csv`, one of them."""
    (folder / f"{name}.sha256").write_text(
        "".join(f"{hashlib.sha256(body).hexdigest()}  {path}\n" for path, body in files.items())
    )
    description = {
        "name": name,
        "citation": f"The tests' dataset {name}",
        "url": url,
        "files": f"{name}.sha256",
        "metadata": "metadata.csv",
        "columns": dict(zip(COLUMNS, METADATA_HEADER, strict=True)),
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(description))
    return folder / f"{name}.yaml"


#: A rule of the study's workflow files, named, with its body up to the next rule.
RULE = re.compile(
    r"^[ \t]*(?:rule|checkpoint) (\w+):\n(.*?)(?=^[ \t]*(?:rule|checkpoint)\b|\Z)",
    flags=re.MULTILINE | re.DOTALL,
)


def local_rules() -> list[str]:
    """The rules whose jobs (a second or two each) run where snakemake runs, not as cluster
    jobs: those whose definition says `localrule: True`."""
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    return [
        name
        for path in files
        for name, body in RULE.findall(path.read_text(encoding="utf-8"))
        if "localrule: True" in body
    ]


def whole_run(results: Path) -> Inputs:
    """The files of a whole results folder, as a job given all of them reads them."""
    return Inputs(Results(results), frozenset({os.path.abspath(results)}))


def run_snakemake(
    workdir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the project's Snakefile for real in `workdir` (which holds its config.yaml)."""
    env = os.environ | {"PYTHONHASHSEED": "0"}
    snakefile = str(ROOT / "Snakefile")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", snakefile, "-d", str(workdir), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_config(workdir: Path, **config: object) -> Path:
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def make_tiny_study(folder: Path) -> Path:
    """A work folder with two small images and a small config (2 K values, 1 seed, every
    mode; the convergence trace at a K of the grid, so that it adds no fits)."""
    data = folder / "data"
    data.mkdir()
    small_photo().save(data / "photo.png")
    Image.fromarray(five_colour_image()).save(data / "five colours.png")
    write_config(
        folder,
        image_dir="data",
        k_values=[2, 8],
        seeds=[0],
        modes=["matched", "tied", "native"],
        max_iter=300,
        fit_max_pixels=1000,
        convergence_k=[8],
    )
    return folder


@pytest.fixture
def tiny_study(tmp_path: Path) -> Path:
    return make_tiny_study(tmp_path)


def readme_commands() -> list[str]:
    """Every command of the README's shell blocks, in order, as a user would type it: its
    comment left out, a line ending in a backslash joined to the next."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.DOTALL):
        text = re.sub(r"\\\n\s*", "", block)
        commands += [re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines()]
    return [command for command in commands if command]


def readme_command(command: str) -> str:
    """`command`, which a test runs because the README shows it: a test fails here once the
    README no longer does."""
    assert command in readme_commands(), f"the README no longer shows {command!r}"
    return command


def fresh_copy(folder: Path) -> Path:
    """The repository as a fresh clone of it would hold it: every file git tracks, or would
    track (new files not yet committed), as the working tree has it; links stay links."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.exists() or source.is_symlink():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name, follow_symlinks=False)
    return folder


def shell(command: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command line as the README shows it, in bash, inside the project's environment
    (as after `source .venv/bin/activate`: its bin folder first on PATH)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = os.environ | {"PATH": path, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def default_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the default study, shared by every slow test that reads it: the README's
    `snakemake --cores all`, as written, in a fresh copy of the repository (its config.yaml
    and photographs)."""
    workdir = fresh_copy(tmp_path_factory.mktemp("default"))
    shell(readme_command("snakemake --cores all"), workdir)
    return workdir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete run of the tiny study, shared by every check that only reads it."""
    workdir = make_tiny_study(tmp_path_factory.mktemp("tiny"))
    run_snakemake(workdir, "--cores", "2")
    return workdir


@pytest.fixture(scope="session")
def spaced_run(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny study (tiny_run's images and config) in sRGB, CIELAB and Oklab, the latter
    two for the double-precision implementations at every K."""
    workdir = tmp_path_factory.mktemp("spaced")
    (workdir / "data").symlink_to(tiny_run / "data")
    given = yaml.safe_load((tiny_run / "config.yaml").read_text(encoding="utf-8"))
    exact = [name for name, entry in IMPLEMENTATIONS.items() if entry.exact]
    given |= {"spaces": ["rgb", "cielab", "oklab"], "space_implementations": exact}
    (workdir / "config.yaml").write_text(yaml.safe_dump(given), encoding="utf-8")
    run_snakemake(workdir, "--cores", "2")
    return workdir
