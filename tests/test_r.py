"""Runs R's own testthat suite for r/kmquant.R."""

import subprocess

from conftest import ROOT


def test_testthat_suite_passes() -> None:
    result = subprocess.run(
        [
            "Rscript",
            "-e",
            'testthat::test_dir("r/tests/testthat", stop_on_failure = TRUE, reporter = "summary")',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DONE" in result.stdout or "passed" in result.stdout.lower(), result.stdout
