"""The study used from another workflow, the way catalogue workflows are deployed: the README's
own Snakefile for that (section "Use it from your own workflow", read from README.md at test
time), which declares the study as a module with its rules renamed, run as the README says,
with its optional prefix and without."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import (
    REPRODUCIBLE,
    ROOT,
    local_rules,
    readme_command,
    run_snakemake,
    shell,
    small_photo,
    write_config,
)

pytestmark = pytest.mark.slow  # about a minute and a half: three small studies

SECTION = "## Use it from your own workflow"
#: Where the README's Snakefile names the study's Snakefile; the test names the checkout's.
PLACEHOLDER = "/path/to/kmquant/Snakefile"
#: The module's `prefix:` lines in the README's Snakefile (the README calls them optional).
PREFIX_LINES = re.compile(r'^    prefix:\n        "([^"]+)".*\n', flags=re.MULTILINE)
#: What Snakemake says where a `localrules:` list names rules it does not know: under a module
#: the rules are renamed and such a list misses every one of them.
UNKNOWN_LOCALRULES = "localrules directive specifies rules that are not present"


def readme_snakefile() -> tuple[str, str]:
    """The README's Snakefile for a workflow that uses the study, naming the checkout's
    Snakefile, and the prefix it gives the module."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n{SECTION}\n" in readme, f"the README has no section {SECTION!r}"
    section = readme.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, f"the README shows {len(blocks)} Snakefiles under {SECTION!r}"
    assert blocks[0].count(PLACEHOLDER) == 1, f"the README's Snakefile lacks {PLACEHOLDER!r}"
    prefix = PREFIX_LINES.findall(blocks[0])
    assert len(prefix) == 1, "the README's Snakefile gives its module no prefix"
    return blocks[0].replace(PLACEHOLDER, str(ROOT / "Snakefile")), prefix[0]


def small_study(folder: Path) -> Path:
    """One image, two K, two modes, three implementations: a study of a few dozen jobs."""
    (folder / "data").mkdir(parents=True)
    small_photo().save(folder / "data" / "photo.png")
    write_config(
        folder,
        image_dir="data",
        k_values=[2, 8],
        seeds=[0],
        modes=["matched", "native"],
        implementations=["python", "r", "faiss"],
        fit_max_pixels=1000,
        convergence_k=[8],
    )
    return folder


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same study run as the study itself (the checkout's Snakefile)."""
    folder = small_study(tmp_path_factory.mktemp("direct"))
    run_snakemake(folder, "--cores", "2")
    return folder


def run_on_slurm(folder: Path, rule: str, bin_dir: Path) -> str:
    """Rerun the jobs of `rule` (the study's name, renamed as the README's Snakefile renames
    it) through the SLURM executor plugin, and its log: a local job runs here; a cluster job
    fails (without SLURM, at the plugin's first call; with it, at a stand-in `sbatch` that
    refuses it, so that no test job reaches a real cluster)."""
    sbatch = bin_dir / "sbatch"
    if not sbatch.exists():
        bin_dir.mkdir(parents=True, exist_ok=True)
        sbatch.write_text('#!/bin/sh\necho "a cluster job: $*" >&2\nexit 1\n')
        sbatch.chmod(0o755)
    done = shell(
        f'PATH={shlex.quote(str(bin_dir))}:"$PATH" snakemake --executor slurm --jobs 1'
        f" --slurm-init-seconds-before-status-checks 1 --forcerun kmquant_{rule}"
        f" -- kmquant_{rule}",
        folder,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("with_prefix", [False, True], ids=["module", "prefix"])
def test_the_readme_snakefile_runs_the_study_as_a_module_and_writes_the_same_results(
    direct: Path, tmp_path: Path, with_prefix: bool
) -> None:
    snakefile, prefix = readme_snakefile()
    if not with_prefix:
        snakefile, prefix = PREFIX_LINES.sub("", snakefile), ""
    outer = small_study(tmp_path / "outer")
    (outer / "Snakefile").write_text(snakefile, encoding="utf-8")
    done = shell(readme_command("snakemake --cores all"), outer)
    assert UNKNOWN_LOCALRULES not in done.stdout + done.stderr
    results = outer / prefix / "results"
    for name in REPRODUCIBLE:
        expected = (direct / "results" / name).read_bytes()
        written = (results / name).read_bytes()
        if name == "manifest.sha256" and prefix:  # it names each file as seen from outside
            written = written.replace(f"  {prefix}/results/".encode(), b"  results/")
        assert written == expected, name
    # The report's front page is found under the prefix too.
    shell(f"snakemake --report {shlex.quote(str(tmp_path / 'report.html'))}", outer)
    assert "every implementation cross-validated" in (tmp_path / "report.html").read_text()
    if not with_prefix:  # the rules are renamed alike; one of the two runs checks it
        return
    # The cheap aggregation steps stay local under the module's names: through the SLURM
    # executor each runs here. (A dry run does not say which jobs are local.) Each local rule
    # that the study can target by name (one without wildcards) is forced alone, so that no
    # job downstream of it runs.
    listed = shell("snakemake --list-target-rules", outer).stdout.split()
    targets = [rule for rule in local_rules() if f"kmquant_{rule}" in listed]
    assert {"all", "manifest", "report_description", "image_tables"} <= set(targets)
    for rule in targets:
        log = run_on_slurm(outer, rule, tmp_path / "bin")
        assert f"localrule kmquant_{rule}:" in log, log
