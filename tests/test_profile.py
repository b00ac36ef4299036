"""The SLURM profile names real rules and gives every job a positive memory and time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_snakemake, small_photo, write_config
from kmquant.implementations import IMPLEMENTATIONS

PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())


def workflow_rules() -> set[str]:
    """The rules of the default study, as Snakemake itself lists them."""
    listed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--list-rules"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(listed.stdout.split())


def test_every_rule_the_profile_sizes_exists() -> None:
    rules = workflow_rules()
    assert set(PROFILE["set-resources"]) <= rules
    assert "convergence" in PROFILE["set-resources"]
    # The fits (one rule per implementation) and the images are sized in their rules, not in the
    # profile.
    assert {f"fit_{impl}" for impl in IMPLEMENTATIONS} | {"images"} <= rules


def test_every_fit_and_images_job_asks_for_memory_and_time(tmp_path: Path) -> None:
    """What the fit and images rules ask of SLURM, as Snakemake itself plans their jobs (a dry
    run): a fit job runs every K, mode and seed of its implementation and image, an images
    job scores every fit of its image, one after the other."""
    (tmp_path / "data").mkdir()
    small_photo(8, 6).save(tmp_path / "data" / "photo.png")
    write_config(tmp_path, image_dir="data", k_values=[2], seeds=[0], modes=["matched"])
    target = "results/images/amap/matched/photo"
    planned = run_snakemake(tmp_path, "-n", target).stdout
    for rule, minutes in (("fit_amap", 120), ("images", 120)):
        (resources,) = re.findall(rf"rule {rule}:.*?resources: ([^\n]+)", planned, re.S)
        assert "mem_mb=2000" in resources and f"runtime={minutes}" in resources, resources


@pytest.mark.parametrize("attempt", [1, 2])
def test_memory_and_time_are_positive_and_grow_with_each_attempt(attempt: int) -> None:
    sized = [PROFILE["default-resources"], *PROFILE["set-resources"].values()]
    for resources in sized:
        for name in ("mem_mb", "runtime"):
            if name in resources:
                value = eval(str(resources[name]), {}, {"attempt": attempt})
                first = eval(str(resources[name]), {}, {"attempt": 1})
                assert isinstance(value, int) and value >= first * attempt > 0
    assert PROFILE["executor"] == "slurm" and PROFILE["retries"] >= 1
