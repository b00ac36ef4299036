"""The SLURM profile names real rules and gives every job a positive memory and time."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
WORKFLOW = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
RULES = {
    rule
    for path in WORKFLOW
    for rule in re.findall(r"^(?:rule|checkpoint) (\w+):", path.read_text(), re.M)
}


def test_every_rule_the_profile_sizes_exists() -> None:
    assert set(PROFILE["set-resources"]) <= RULES
    assert {"fit", "convergence"} <= set(PROFILE["set-resources"])


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
