"""What the README shows a user, run as the user would run it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT, run_snakemake

README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Every snakemake command line of the README that overrides the config, in or out of code.
CONFIG_COMMANDS = sorted(set(re.findall(r"(snakemake [^`\n#]*--config [^`\n#]*)", README)))


def test_the_readme_shows_a_config_override() -> None:
    assert CONFIG_COMMANDS


@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_every_config_override_in_the_readme_is_accepted(tiny_run: Path, command: str) -> None:
    """As a dry run on a finished study: accepted, and the overridden values are used."""
    args = shlex.split(command)[1:]
    result = run_snakemake(tiny_run, *args, "-n", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    overrides = dict(arg.split("=", 1) for arg in args[args.index("--config") + 1 :])
    for k in re.findall(r"\d+", overrides.get("k_values", "")):
        assert f"k{k}_s0" in output, output  # the override's K values are planned
