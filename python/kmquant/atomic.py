"""Atomic file output: a killed job never leaves a file that looks complete, and the next
write of the same result removes what a killed one left behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Between a result's name and the rest of its temporary's: no result name holds it, so the
#: temporaries of one result are never taken for another's.
_MARK = "~"


def _remove_leftovers(target: Path) -> None:
    """The temporaries of `target` that a killed write left beside it."""
    for sibling in target.parent.glob(f".*{_MARK}*"):
        if not sibling.name.startswith(f".{target.name}{_MARK}"):
            continue
        if sibling.is_dir():
            shutil.rmtree(sibling)
        else:
            sibling.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """`path` (a file or a folder's entries) on disk, not only in the page cache."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(path: str | Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; rename it onto `path` only if the block succeeds,
    once it is on disk.

    The temporary keeps the suffix of `path` so that writers which choose a format by
    suffix (Pillow, numpy) behave as they would on the real name.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    prefix = f".{target.name}{_MARK}"
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=f".tmp{target.suffix}", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        # mkstemp and mkdtemp create private (0600, 0700) entries; results are meant to be
        # shared (explorer, report, cluster folders), so give them the usual umask modes.
        tmp.chmod((0o777 if directory else 0o666) & ~_umask())
        for item in [*tmp.rglob("*"), tmp] if directory else [tmp]:
            _fsync(item)
        if directory and target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        _fsync(target.parent)  # the rename itself
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
