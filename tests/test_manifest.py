"""The manifest of reproducible results: sha256sum's own format, checked by sha256sum."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from kmquant.manifest import write_manifest


def test_the_manifest_lists_files_and_folder_contents_for_sha256sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tables").mkdir()
    Path("tables/fits.csv").write_text("a,b\n1,2\n")
    Path("images/python").mkdir(parents=True)
    Path("images/python/k2_s0.png").write_bytes(b"\x89PNG one")
    Path("images/python/k4_s0.png").write_bytes(b"\x89PNG two")
    Path("images/python/.snakemake_timestamp").touch()  # Snakemake's mark: not a result
    write_manifest("manifest.sha256", ["tables/fits.csv", "images"])
    expected = [
        f"{hashlib.sha256(Path(name).read_bytes()).hexdigest()}  {name}"
        for name in ("images/python/k2_s0.png", "images/python/k4_s0.png", "tables/fits.csv")
    ]
    assert Path("manifest.sha256").read_text().splitlines() == expected
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    Path("tables/fits.csv").write_text("a,b\n1,3\n")
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], capture_output=True, text=True)
    assert check.returncode == 1 and "tables/fits.csv: FAILED" in check.stdout
