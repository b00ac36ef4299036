"""The package as someone installs it into an environment of their own: a built wheel fits in
R, and every library the study imports is a declared dependency."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT, small_photo, write_config

# setup.sh installs the rpy2 that loads with the installed R; pyproject.toml cannot choose it.
CHOSEN_BY_SETUP = {"rpy2"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A new environment with kmquant installed from a built wheel (not an editable
    checkout) and this environment's dependencies: its Python, and the environment to run it
    in."""
    tmp_path = tmp_path_factory.mktemp("installed")
    # Built from a copy, so that the build's egg-info stays out of the checkout and out of
    # the new environment's sight.
    source = tmp_path / "source"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        copy = source / name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes((ROOT / name).read_bytes())
    skip = shutil.ignore_patterns("*.egg-info", "__pycache__", "tests")
    for folder in ("python", "r"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=skip)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", tmp_path / "dist", source], check=True)
    wheel = next((tmp_path / "dist").glob("kmquant-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("kmquant/kmquant.R")
    assert shipped == (ROOT / "r" / "kmquant.R").read_bytes()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this environment (its folder on the path, its .pth files
    # and so its editable kmquant left out); kmquant itself only from the wheel.
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # Installed before the dependencies join the path, where pip would see the editable one.
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], env=env, check=True)
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, env


def test_an_installed_wheel_fits_in_r(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The wheel carries r/kmquant.R and fits with it from a folder that has no checkout in
    sight."""
    python, env = installed
    code = (
        "import numpy as np, kmquant\n"
        "from kmquant.implementations import call\n"
        "x = np.array([[0, 0, 0], [1, 0, 0], [10, 0, 0], [11, 0, 0]], dtype=float)\n"
        "fit = call('r', 'fit_shared', x, x[[0, 2]].copy(), 10, 1)\n"
        "print(kmquant.__file__)\n"
        "print(fit.centres[:, 0].tolist(), fit.labels.tolist(), fit.converged)\n"
    )
    done = subprocess.run(
        [python, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    where, result = done.stdout.splitlines()
    assert Path(where).is_relative_to(python.parents[1])
    assert result == "[0.5, 10.5] [0, 0, 1, 1] True"  # the group means, by hand


@pytest.mark.slow
def test_the_workflow_runs_with_an_installed_package(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The workflow alone (its Snakefile and workflow folder, no checkout's package beside it)
    runs with the installed package, and so does every one of its jobs."""
    python, env = installed
    venv = python.parents[1]
    deployed = tmp_path / "deployed"
    shutil.copytree(ROOT / "workflow", deployed / "workflow")
    shutil.copy(ROOT / "Snakefile", deployed / "Snakefile")
    study = tmp_path / "study"
    (study / "data").mkdir(parents=True)
    small_photo(12, 8).save(study / "data" / "photo.png")
    write_config(
        study,
        image_dir="data",
        k_values=[2],
        seeds=[0],
        modes=["matched"],
        implementations=["python"],
        convergence_k=[],
    )
    snakemake = [python, "-m", "snakemake", "-s", deployed / "Snakefile", "-d", study]
    subprocess.run([*snakemake, "--cores", "1", "--quiet"], env=env, check=True)
    assert (study / "results" / "tables" / "fits.csv").exists()
    for log in (study / "results" / "logs" / "fits").rglob("*.log"):
        ran = re.search(r"kmquant \S+ from (\S+)", log.read_text()).group(1)
        assert Path(ran).is_relative_to(venv), log


def _imports(path: Path) -> set[str]:
    if path.suffix == ".py":
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
    else:  # the Snakefile and its rules files
        names = set(re.findall(r"^(?:from|import) ([\w.]+)", path.read_text(), re.M))
    return {name.split(".")[0] for name in names}


def test_every_library_the_study_imports_is_declared() -> None:
    sources = [
        *(ROOT / "python" / "kmquant").rglob("*.py"),
        ROOT / "Snakefile",
        *(ROOT / "workflow" / "rules").glob("*.smk"),
    ]
    modules = set().union(*map(_imports, sources)) - set(sys.stdlib_module_names) - {"kmquant"}
    providers = metadata.packages_distributions()
    imported = {canonicalize_name(providers[module][0]) for module in modules}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    assert imported - CHOSEN_BY_SETUP <= declared, imported - CHOSEN_BY_SETUP - declared
    assert {"scikit-learn", "snakemake", "imagequant", "pillow"} <= imported  # the scan works


def test_the_report_needs_nothing_undeclared() -> None:
    """`snakemake --report` imports pygments, which only snakemake's `reports` extra brings."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    snakemake = next(
        Requirement(text) for text in project["dependencies"] if text.startswith("snakemake")
    )
    assert "reports" in snakemake.extras
    needs = [Requirement(text) for text in metadata.requires("snakemake") or []]
    report_extra = [r.name for r in needs if r.marker and r.marker.evaluate({"extra": "reports"})]
    assert "pygments" in report_extra
    for name in report_extra:
        metadata.version(name)  # installed
