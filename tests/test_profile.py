"""The SLURM profile names real rules and gives every job a positive memory and time."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from kmquant.modes import MODES

PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())


def workflow_rules() -> set[str]:
    """The rules of the default study, as Snakemake itself lists them."""
    listed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--list-rules"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(listed.stdout.split())


def test_every_rule_the_profile_sizes_exists() -> None:
    assert set(PROFILE["set-resources"]) <= workflow_rules()
    # Every mode's fits (one rule per mode) and the convergence traces are sized.
    assert {f"fit_{mode}" for mode in MODES} | {"convergence"} <= set(PROFILE["set-resources"])


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
