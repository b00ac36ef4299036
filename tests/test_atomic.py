"""Atomic output: complete or absent, and readable like any other file the user writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmquant import atomic


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_get_the_modes_the_umask_gives(tmp_path: Path, umask_022: None) -> None:
    atomic.write_text(tmp_path / "a" / "table.csv", "x\n")
    with atomic.atomic_path(tmp_path / "pngs", directory=True) as folder:
        (folder / "k2_s0.png").write_bytes(b"png")
    assert mode(tmp_path / "a" / "table.csv") == 0o644
    assert mode(tmp_path / "pngs") == 0o755
    assert (tmp_path / "a" / "table.csv").read_text() == "x\n"


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic.atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_output_replaces_the_old_one(tmp_path: Path) -> None:
    for name in ("old.png", "new.png"):
        with atomic.atomic_path(tmp_path / "pngs", directory=True) as folder:
            (folder / name).write_bytes(b"png")
    assert [p.name for p in (tmp_path / "pngs").iterdir()] == ["new.png"]


def test_the_next_write_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    """A job killed mid-write leaves its temporary (SIGKILL runs no clean-up); the rerun of
    that job removes it, and leaves the temporaries of other results alone."""
    left = [tmp_path / ".fits.csv~k1ll3d.tmp.csv", tmp_path / ".pngs~k1ll3d"]
    left[0].write_text("half")
    left[1].mkdir()
    (left[1] / "k2_s0.png").write_bytes(b"half")
    other = tmp_path / ".fits.csv.v2~busy.tmp.csv"  # another result's write in progress
    other.write_text("busy")
    atomic.write_text(tmp_path / "fits.csv", "x\n")
    with atomic.atomic_path(tmp_path / "pngs", directory=True) as folder:
        (folder / "k2_s0.png").write_bytes(b"png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "fits.csv", "pngs"]
