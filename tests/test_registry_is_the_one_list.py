"""Adding an implementation is one registry entry, one backend module and its dependency: no
other file of the package or the workflow names an implementation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT
from kmquant.implementations import IMPLEMENTATIONS

PACKAGE = ROOT / "python" / "kmquant"
#: Where implementations are named: the registry, and the backends that fit with them.
ALLOWED = {PACKAGE / "implementations.py", *(PACKAGE / "backends").glob("*.py")}
NAMES = set(IMPLEMENTATIONS)
_ALTERNATIVES = "|".join(sorted(map(re.escape, NAMES)))
#: A quoted string that is exactly a name ("python", 'r'), an object key (python: ...) in a
#: script, or a reStructuredText literal (``python``).
QUOTED = re.compile(rf"""(["'])({_ALTERNATIVES})\1""")
KEY = re.compile(rf"""[{{,]\s*({_ALTERNATIVES})\s*:""")
LITERAL = re.compile(rf"``({_ALTERNATIVES})``")


def python_names(path: Path) -> list[str]:
    """Every string constant of a module that is exactly an implementation's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES
    ]


def text_names(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for pattern in (QUOTED, KEY, LITERAL):
            found += [f"line {number}: {match.group(0)}" for match in pattern.finditer(line)]
    return found


def workflow_files() -> list[Path]:
    workflow = ROOT / "workflow"
    return [
        ROOT / "Snakefile",
        *sorted(workflow.glob("rules/*.smk")),
        *sorted(workflow.glob("report/*.rst")),
        PACKAGE / "explorer.html",
    ]


@pytest.mark.parametrize("path", sorted(set(PACKAGE.rglob("*.py")) - ALLOWED), ids=lambda p: p.name)
def test_no_module_outside_the_registry_names_an_implementation(path: Path) -> None:
    assert python_names(path) == []


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_no_workflow_file_names_an_implementation(path: Path) -> None:
    assert text_names(path) == []


def test_the_check_finds_a_name_where_there_is_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('HEADLINE = ("python", "r")\nx = "rgb"\n', encoding="utf-8")
    assert python_names(module) == ["line 1: 'python'", "line 1: 'r'"]
    rules = tmp_path / "r.smk"
    rules.write_text('impl="opencv|faiss"\nfits("amap")\n{ elkan: 1 }\n``scipy``\n')
    assert text_names(rules) == ['line 2: "amap"', "line 3: { elkan:", "line 4: ``scipy``"]


def test_the_config_schema_accepts_exactly_the_registered_implementations() -> None:
    import yaml

    schema = yaml.safe_load((ROOT / "workflow" / "config.schema.yaml").read_text())
    properties = schema["properties"]
    assert properties["implementations"]["items"]["enum"] == list(IMPLEMENTATIONS)
    assert properties["implementations"]["default"] == list(IMPLEMENTATIONS)
    assert properties["implementation_k_values"]["propertyNames"]["enum"] == list(IMPLEMENTATIONS)
