"""The study on a real one-node SLURM cluster, through the profile in profiles/slurm."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPRODUCIBLE, ROOT, run_snakemake, small_photo, write_config

CLUSTER = ROOT / "tests" / "cluster"
PROFILE = ROOT / "profiles" / "slurm"
MARK = "# written by kmquant tests/cluster/slurm-up.sh"


def why_slurm_cannot_start() -> str | None:
    if os.geteuid() != 0:
        return "starting a SLURM cluster needs root"
    if not Path("/etc/debian_version").exists():
        return "tests/cluster/slurm-up.sh installs SLURM from Debian's packages; this is not Debian"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "the SLURM executor plugin is missing: pip install -e '.[slurm]'"
    conf = Path("/etc/slurm/slurm.conf")
    if conf.exists() and MARK not in conf.read_text():
        return "this machine has a real SLURM configuration; the test will not replace it"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(why_slurm_cannot_start() is not None, reason=str(why_slurm_cannot_start())),
]


@pytest.fixture(scope="module")
def slurm() -> Iterator[None]:
    subprocess.run([CLUSTER / "slurm-up.sh"], check=True, capture_output=True)
    yield
    subprocess.run([CLUSTER / "slurm-down.sh"], check=True)


def one_image_study(folder: Path) -> Path:
    """The tiny study cut to one image, one mode and the headline pair: about 30 cluster jobs,
    so that the test costs minutes of CI, not the tiny study's hundreds of jobs (each SLURM job
    starts snakemake anew)."""
    (folder / "data").mkdir(parents=True)
    small_photo().save(folder / "data" / "photo.png")
    write_config(
        folder,
        image_dir="data",
        k_values=[2, 8],
        seeds=[0],
        modes=["matched"],
        max_iter=300,
        fit_max_pixels=1000,
        convergence_k=[8],
        implementations=["python", "r"],
    )
    return folder


def test_a_study_on_slurm_reproduces_the_local_run(slurm: None, tmp_path: Path) -> None:
    local, cluster = one_image_study(tmp_path / "local"), one_image_study(tmp_path / "slurm")
    run_snakemake(local, "--cores", "2")
    # This cluster keeps no accounting database, so job states come from squeue.
    result = run_snakemake(
        cluster,
        "--profile",
        str(PROFILE),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
    )
    output = result.stdout + result.stderr
    submitted = re.findall(r"submitted with SLURM jobid \d+ \(log: \S+/rule_(\w+)/", output)
    # One image: one fit job of each implementation, fitting every K and mode
    assert submitted.count("fit_python") == submitted.count("fit_r") == 1, output
    assert {"pixels", "convergence", "explorer"} <= set(submitted)
    assert "manifest" not in submitted  # a local rule
    for name in REPRODUCIBLE:
        expected = (local / "results" / name).read_bytes()
        assert (cluster / "results" / name).read_bytes() == expected, name
