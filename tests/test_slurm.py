"""The study on a real one-node SLURM cluster, through the profile in profiles/slurm."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import (
    REPRODUCIBLE,
    ROOT,
    describe_dataset,
    local_rules,
    metadata_csv,
    run_snakemake,
    small_photo,
)

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


def one_photo_dataset(folder: Path) -> list[str]:
    """A dataset of one small photograph in `folder/mirror`, described as a registered
    dataset is, and the `--config` that studies it in place of CQ100's 100 photographs."""
    photo = small_photo(64, 48)
    colours = len(np.unique(np.asarray(photo).reshape(-1, 3), axis=0))
    png = io.BytesIO()
    photo.save(png, "PNG")
    files = {
        "img/photo.png": png.getvalue(),
        "metadata.csv": metadata_csv(
            [["photo", str(colours), "CC0 1.0", "A. Author", "https://example.org/photo"]]
        ),
    }
    for path, body in files.items():
        (folder / "mirror" / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / "mirror" / path).write_bytes(body)
    describe_dataset(folder, "one", "https://example.org/one/", files)
    # Both relative to the work folder, as the config schema says.
    return ["--config", "datasets=[one.yaml]", "dataset_mirror=mirror"]


def cq100_study(folder: Path) -> list[str]:
    """The CQ100 profile as shipped (config.yaml, then config/cq100.yaml, as the README runs
    it) on the one-photograph dataset: about 50 cluster jobs, so that the test costs minutes
    of CI (each SLURM job starts snakemake anew), where CQ100 would take hours."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    return ["--configfile", str(ROOT / "config" / "cq100.yaml"), *one_photo_dataset(folder)]


def test_the_cq100_profile_on_slurm_reproduces_the_local_run(slurm: None, tmp_path: Path) -> None:
    local, cluster = tmp_path / "local", tmp_path / "slurm"
    run_snakemake(local, "--cores", "2", *cq100_study(local))
    # This cluster keeps no accounting database, so job states come from squeue.
    result = run_snakemake(
        cluster,
        *cq100_study(cluster),
        "--profile",
        str(PROFILE),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
    )
    output = result.stdout + result.stderr
    submitted = re.findall(r"submitted with SLURM jobid \d+ \(log: \S+/rule_(\w+)/", output)
    # One photograph: one fit job of each implementation, fitting every K, one job that runs
    # every reference quantizer and one that writes every implementation's PNGs.
    profile = yaml.safe_load((ROOT / "config" / "cq100.yaml").read_text())
    fits = [rule.removeprefix("fit_") for rule in submitted if rule.startswith("fit_")]
    assert sorted(fits) == sorted(profile["implementations"]), output
    assert submitted.count("reference") == 1 and submitted.count("images") == 1, output
    assert {"pixels", "reference", "agreement", "explorer"} <= set(submitted)
    # The fetch and the cheap tables are local rules: they reach out, or take a second.
    assert not set(local_rules()) & set(submitted)
    for name in REPRODUCIBLE:
        expected = (local / "results" / name).read_bytes()
        assert (cluster / "results" / name).read_bytes() == expected, name
