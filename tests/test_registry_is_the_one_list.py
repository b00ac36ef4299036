"""Adding an implementation is one registry entry, one backend module and its dependency;
adding a figure is one registry entry, its drawing function and its caption; adding a reference
quantizer is one registry entry and its function. The config schema names none of them (the
names are checked against the registries at load), no other file of the package or the
workflow names an implementation or a reference quantizer, and none lists the figures."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, small_photo, write_config
from kmquant.figures import CATEGORIES, FIGURES
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.paths import TABLES
from kmquant.reference import QUANTIZERS

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


def python_names(path: Path, names: set[str] = NAMES) -> list[str]:
    """Every string constant of a module that is exactly one of `names` (by default an
    implementation's)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
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


def strings(value: object) -> list[str]:
    """Every string in a YAML document, keys included."""
    if isinstance(value, dict):
        return [*value, *(s for item in value.values() for s in strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_config_schema_names_no_registered_name() -> None:
    """The schema leaves the names of implementations, modes and reference quantizers to their
    registries (checked at load by config_checks.check_names), so that a new entry is accepted
    without a second edit."""
    import yaml

    from kmquant.config_checks import NAMED

    schema = yaml.safe_load((ROOT / "workflow" / "config.schema.yaml").read_text())
    registered = {name for registry in NAMED.values() for name in registry}
    assert set(strings(schema)) & registered == set()


def test_a_new_implementation_is_accepted_by_the_config_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name is accepted in every key that names implementations once the registry has it,
    and only then; left out, `implementations` is every registered one."""
    from kmquant import config_checks

    config = {"implementations": ["python", "newlib"], "implementation_k_values": {"newlib": [4]}}
    with pytest.raises(config_checks.ConfigError, match="'newlib' is not one of"):
        config_checks.check_names(config)
    extended = dict(IMPLEMENTATIONS) | {"newlib": IMPLEMENTATIONS["python"]}
    monkeypatch.setitem(config_checks.NAMED, "implementations", extended)
    monkeypatch.setitem(config_checks.NAMED, "implementation_k_values", extended)
    config_checks.check_names(config)
    assert config_checks.with_registry_defaults({})["implementations"] == list(extended)


# Reference quantizers: kmquant.reference is their registry, and no other module names one.

TOOLS = set(QUANTIZERS)
_TOOL_ALTERNATIVES = "|".join(sorted(map(re.escape, TOOLS)))
#: A tool's name quoted, as an object key, or as a reStructuredText literal.
TOOL_PATTERNS = (
    re.compile(rf"""(["'])({_TOOL_ALTERNATIVES})\1"""),
    re.compile(rf"""[{{,]\s*({_TOOL_ALTERNATIVES})\s*:"""),
    re.compile(rf"``({_TOOL_ALTERNATIVES})``"),
)


@pytest.mark.parametrize(
    "path", sorted(set(PACKAGE.rglob("*.py")) - {PACKAGE / "reference.py"}), ids=lambda p: p.name
)
def test_no_module_outside_the_registry_names_a_reference_quantizer(path: Path) -> None:
    assert python_names(path, TOOLS) == []


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_no_workflow_file_names_a_reference_quantizer(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [
        f"line {number}: {match.group(0)}"
        for number, line in enumerate(lines, 1)
        for pattern in TOOL_PATTERNS
        for match in pattern.finditer(line)
    ]
    assert found == []


# Figures: kmquant.figures.FIGURES is their registry, and the workflow's rules, their outputs,
# captions and report categories come from it.


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_names_its_tables_category_and_caption(name: str) -> None:
    figure = FIGURES[name]
    assert figure.name == name
    assert set(figure.tables) <= set(TABLES)
    assert figure.category in CATEGORIES
    caption = (ROOT / "workflow" / "report" / figure.caption).read_text(encoding="utf-8")
    assert re.match(r"\*\*[^*{]+\*\*", caption), "a caption opens with its title in bold"


def test_every_caption_of_the_report_is_used() -> None:
    """Each caption file is a registered figure's or named by a rule (no caption is left
    behind by a figure that is gone)."""
    rules = "".join(path.read_text() for path in (ROOT / "workflow" / "rules").glob("*.smk"))
    for caption in (ROOT / "workflow" / "report").glob("*.rst"):
        named = f'"../report/{caption.name}"' in rules
        assert named or caption.name in {figure.caption for figure in FIGURES.values()}, caption


#: A Snakefile that adds a figure to the registry (a copy of `timing` named `extra`), includes
#: the study's and writes, for every output the report shows, its rule, caption and category.
EXTRA_FIGURE = """\
import dataclasses
import json

from kmquant.figures import FIGURES

FIGURES["extra"] = dataclasses.replace(FIGURES["timing"], name="extra")


include: {snakefile!r}


shown = [
    [rule.name, str(path), path.flags["report"].caption.get_path_or_uri(secret_free=True),
     path.flags["report"].category]
    for rule in workflow.rules for path in rule.output if "report" in path.flags
]
with open("reported.json", "w", encoding="utf-8") as handle:
    json.dump(shown, handle)
"""


def test_a_new_figure_is_one_registry_entry(tmp_path: Path) -> None:
    """Every figure of the registry, and one more added to it with no other edit, is drawn by
    a rule of its own from the entry's tables, into results/figures/{name}.png and .svg, and
    shown in the report in the entry's category with the entry's caption: nothing else lists
    the figures. (The added figure's rule is checked as Snakemake itself parses the workflow.)
    """
    (tmp_path / "data").mkdir()
    small_photo().save(tmp_path / "data" / "photo.png")
    write_config(tmp_path, image_dir="data", k_values=[2], seeds=[0], modes=["matched"])
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(EXTRA_FIGURE.format(snakefile=str(ROOT / "Snakefile")))
    command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(tmp_path)]
    subprocess.run([*command, "--list-rules"], capture_output=True, text=True, check=True)
    reported = json.loads((tmp_path / "reported.json").read_text())
    shown = {
        path: (rule, Path(caption).resolve(), category)
        for rule, path, caption, category in reported
    }
    targets = ["results/figures/extra.svg", "results/figures/timing.png"]
    planned = subprocess.run([*command, "-n", *targets], capture_output=True, text=True)
    for name, figure in [*FIGURES.items(), ("extra", FIGURES["timing"])]:
        rule, caption, category = shown.pop(f"results/figures/{name}.png")
        assert rule == f"figure_{name}"
        assert category == figure.category
        assert caption == ROOT / "workflow" / "report" / f"{name}.rst"
    assert not any(path.startswith("results/figures/") and "{image" not in path for path in shown)
    # The added figure's job reads the entry's tables and writes both formats.
    assert planned.returncode == 0, planned.stderr
    (job,) = re.findall(r"^rule figure_extra:\n(.*?)\n\n", planned.stdout, re.M | re.S)
    assert "input: results/tables/timings.csv" in job
    assert "output: results/figures/extra.png, results/figures/extra.svg" in job
