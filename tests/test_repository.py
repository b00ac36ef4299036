"""The repository stands on its own: its licence, how to cite it, no reference to files or
discussions outside it, and a quick test tier that still tests every module."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT

# The Citation File Format 1.2.0 schema, as published by its authors
# (https://citation-file-format.github.io/1.2.0/schema.json).
CFF_SCHEMA = ROOT / "tests" / "data" / "citation-file-format-1.2.0.schema.json"
OUTSIDE = r"\.\./shared|seed 00[0-9]|[Ii]ssue [0-9]{1,2}\b"


def test_the_citation_file_is_valid_cff_1_2() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.validate(citation, json.loads(CFF_SCHEMA.read_text(encoding="utf-8")))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]


def test_the_changelog_describes_the_release_the_version_names() -> None:
    """A release is the commit tagged v<version>: pyproject.toml, CITATION.cff and the newest
    entry of the changelog name the same version, and the changelog dates it as the citation
    does."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    releases = re.findall(
        r"^## (\S+) \((\d{4}-\d{2}-\d{2})\)$",
        (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
        re.M,
    )
    assert releases[0] == (project["version"], str(citation["date-released"]))
    assert len({version for version, _ in releases}) == len(releases)


def test_an_invalid_citation_file_is_caught() -> None:
    """The schema check is real: a citation without authors fails it."""
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    del citation["authors"]
    with pytest.raises(jsonschema.ValidationError, match="authors"):
        jsonschema.validate(citation, json.loads(CFF_SCHEMA.read_text(encoding="utf-8")))


def test_the_licence_is_the_one_the_package_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_no_file_refers_outside_the_repository() -> None:
    """No link to folders beside the checkout, tutorials by number or issues by number
    (another project's issue is cited with its name and '#')."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    found = subprocess.run(
        ["git", "grep", "-nE", OUTSIDE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1, found.stdout  # git grep: 1 is "nothing found"


def test_the_outside_pattern_finds_what_it_must() -> None:
    # Spelled in two pieces, so that this file does not hold what it forbids.
    for text in (
        "see ../" + "shared/x.md",
        "seed " + "003's loop",
        "iss" + "ue 7",
        "Iss" + "ue 13",
    ):
        assert re.search(OUTSIDE, text), text
    assert not re.search(OUTSIDE, "Snakemake's #3015")


def _kmquant_modules_imported(test_file: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "kmquant":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kmquant."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
    return found


SLOW_MODULE = r"^pytestmark = (\[\s*)?pytest\.mark\.slow"


def test_the_quick_tier_tests_every_module() -> None:
    """Every module of the package is imported by a test file the quick tier runs (one not
    marked slow as a whole), so `pytest -m "not slow"` is a real check of a change."""
    modules = {path.stem for path in (ROOT / "python" / "kmquant").glob("*.py")}
    quick = [
        path
        for path in (ROOT / "tests").glob("test_*.py")
        if not re.search(SLOW_MODULE, path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    tested = set().union(*map(_kmquant_modules_imported, quick))
    assert modules - {"__init__", "__main__"} - tested == set()


def test_every_command_the_rules_run_is_a_command_of_the_package() -> None:
    from kmquant.cli import COMMANDS

    rules = "".join(path.read_text() for path in (ROOT / "workflow" / "rules").glob("*.smk"))
    called = set(re.findall(r"python -m kmquant ([a-z-]+)", rules))
    assert called and called <= set(COMMANDS)


def test_the_command_line_starts_light_and_reports_every_kind_of_bad_input_in_one_line(
    tmp_path: Path,
) -> None:
    """Every job starts `python -m kmquant`: its command line imports no array, image, YAML or
    dataset library until a command needs one, and catches every module's bad-input error
    (one base, kmquant.errors.InputError) as one line without a traceback."""
    from kmquant.datasets import DatasetError, FetchError
    from kmquant.errors import InputError
    from kmquant.images import ImageError
    from kmquant.paths import NotGiven

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, kmquant.cli; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = {"numpy", "PIL", "yaml", "kmquant.datasets", "kmquant.reference", "kmquant.images"}
    assert heavy & set(loaded) == set()
    assert all(
        issubclass(error, InputError) for error in (DatasetError, FetchError, ImageError, NotGiven)
    )
    (tmp_path / "notes.png").write_text("not an image")
    for command in (
        ["fetch", "no_such_dataset", "a.png", "a.png"],
        ["compress", "notes.png", "out.png"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "kmquant", *command],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 2  # the version line and the error
