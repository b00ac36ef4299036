"""results/manifest.sha256: the hash of every reproducible result file, for `sha256sum -c`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from kmquant.atomic import write_text

#: The empty file Snakemake leaves in a folder output to time it: not a result, and present
#: or not depending on how a run went (a resumed run may lack it).
SNAKEMAKE_MARK = ".snakemake_timestamp"


def files_below(paths: Iterable[str | Path]) -> list[Path]:
    """The given files, and every file inside the given folders (without Snakemake's marks),
    sorted."""
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found |= {p for p in path.rglob("*") if p.is_file() and p.name != SNAKEMAKE_MARK}
        else:
            found.add(path)
    return sorted(found)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out: str | Path, paths: Iterable[str | Path]) -> None:
    """One `hash  path` line per file, in sha256sum's format, paths as given (relative)."""
    write_text(out, "".join(f"{sha256(p)}  {p.as_posix()}\n" for p in files_below(paths)))
