"""The pinned software: the lock files setup.sh installs from, and the environment they made."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT
from kmquant.environment import LOCK_RECORD, installed_lock

LOCKS = sorted((ROOT / "requirements").glob("lock-*.txt"))
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every package the lock installs on the running Python."""
    found = {}
    for line in lock.read_text().splitlines():
        match = _PIN.match(line)
        if match and (match[3] is None or Marker(match[3]).evaluate()):
            found[canonicalize_name(match[1])] = match[2]
    return found


def test_there_is_a_lock_for_each_rpy2_line() -> None:
    assert [path.name for path in LOCKS] == ["lock-rpy2-3.5.txt", "lock-rpy2-3.6.txt"]
    assert pins(LOCKS[0])["rpy2"] == "3.5.17"
    assert pins(LOCKS[1])["rpy2"].startswith("3.6.")


@pytest.mark.parametrize("lock", LOCKS, ids=lambda path: path.name)
def test_every_line_of_a_lock_is_pinned_with_hashes(lock: Path) -> None:
    text = lock.read_text()
    packages = [line for line in text.splitlines() if line and line[0].isalnum()]
    assert len(packages) > 50
    assert all(_PIN.match(line) for line in packages), packages
    assert text.count("--hash=sha256:") >= len(packages)


@pytest.mark.parametrize("lock", LOCKS, ids=lambda path: path.name)
def test_a_lock_satisfies_the_declared_ranges(lock: Path) -> None:
    """Refreshed after every change of pyproject.toml: each dependency (and the dev extra)
    is in the lock at a version inside its range."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = pins(lock)
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for text in declared:
        requirement = Requirement(text)
        if requirement.name == "kmquant":  # the package's own extras
            continue
        version = locked[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), (text, version)


def test_the_environment_holds_exactly_the_locked_versions() -> None:
    lock = installed_lock(sys.prefix)
    if lock is None:
        pytest.skip(f"this environment was not installed by setup.sh (no {LOCK_RECORD})")
    path = ROOT / lock["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == lock["sha256"]
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)$", frozen, re.M)
    }
    assert installed == pins(path)


def test_the_lock_record_is_read_as_setup_writes_it(tmp_path: Path) -> None:
    assert installed_lock(tmp_path) is None
    (tmp_path / LOCK_RECORD).write_text("ab12  requirements/lock-rpy2-3.5.txt\n")
    assert installed_lock(tmp_path) == {"file": "requirements/lock-rpy2-3.5.txt", "sha256": "ab12"}


def test_the_conda_environment_is_written_from_pyproject() -> None:
    """workflow/envs/kmquant.yaml is what requirements/conda_env.py writes from
    pyproject.toml: every runtime dependency, with its range, under its conda-forge name."""
    script = ROOT / "requirements" / "conda_env.py"
    check = subprocess.run([sys.executable, script, "--check"], check=False)
    assert check.returncode == 0, "run python requirements/conda_env.py"
    environment = (ROOT / "workflow" / "envs" / "kmquant.yaml").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        assert str(requirement.specifier).split(",")[0] in environment, text
    for name in ("scikit-image", "py-opencv", "faiss-cpu", "imagequant", "pngquant", "r-amap"):
        assert name in environment
