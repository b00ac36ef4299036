"""The study used from another workflow, the way catalogue workflows are deployed: a Snakefile
of the user's own declares it as a module (what `snakedeploy deploy-workflow` writes), with
and without a prefix, and its rules renamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPRODUCIBLE, ROOT, run_snakemake, small_photo, write_config

pytestmark = pytest.mark.slow  # about a minute and a half: three small studies

OUTER = """configfile: "config.yaml"


module kmquant:
    snakefile:
        "{snakefile}"
    config:
        config{prefix}


use rule * from kmquant as kmquant_*
"""


def small_study(folder: Path) -> Path:
    """One image, two K, two modes, three implementations: a study of a few dozen jobs."""
    (folder / "data").mkdir(parents=True)
    small_photo().save(folder / "data" / "photo.png")
    write_config(folder, image_dir="data", k_values=[2, 8], seeds=[0], modes=["matched", "native"],
                 implementations=["python", "r", "faiss"], fit_max_pixels=1000,
                 convergence_k=[8])  # fmt: skip
    return folder


def outer_workflow(folder: Path, prefix: str | None = None) -> Path:
    study = small_study(folder)
    line = "" if prefix is None else f'\n    prefix:\n        "{prefix}"'
    (study / "Snakefile").write_text(OUTER.format(snakefile=ROOT / "Snakefile", prefix=line))
    return study


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same study run as the study itself (the checkout's Snakefile)."""
    folder = small_study(tmp_path_factory.mktemp("direct"))
    run_snakemake(folder, "--cores", "2")
    return folder


def run_outer(folder: Path, *args: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(folder / "Snakefile"), "-d", str(folder),
         "--cores", "2", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("prefix", [None, "kmquant-study/"], ids=["module", "prefix"])
def test_the_study_runs_as_a_module_and_writes_the_same_results(
    direct: Path, tmp_path: Path, prefix: str | None
) -> None:
    outer = outer_workflow(tmp_path / "outer", prefix)
    run_outer(outer, "kmquant_all")
    results = outer / (prefix or "") / "results"
    for name in REPRODUCIBLE:
        expected = (direct / "results" / name).read_bytes()
        written = (results / name).read_bytes()
        if name == "manifest.sha256":  # it names each file as seen from the outer workflow
            written = written.replace((prefix or "").encode(), b"")
        assert written == expected, name
    # The report's front page is found under the prefix too.
    run_outer(outer, "--report", str(tmp_path / "report.html"))
    assert "every implementation cross-validated" in (tmp_path / "report.html").read_text()
