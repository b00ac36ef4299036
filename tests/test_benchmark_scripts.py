"""The benchmark scripts call `kmquant` as its command line takes arguments (they are run by
hand, so a change of the CLI would otherwise only show when someone measures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT
from kmquant.cli import build_parser


def test_the_scaling_steps_are_commands_kmquant_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import scaling

    steps = scaling.steps(tmp_path / "photo.png", tmp_path, 8)
    assert {"load", "fit+label python", "png python", "fit+label r", "png r"} == set(steps)
    for command in steps.values():
        assert command[:3] == [sys.executable, "-m", "kmquant"]
        build_parser().parse_args(command[3:])  # a wrong argument exits (SystemExit: 2)
