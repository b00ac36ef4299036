"""What the results were computed with: Python, packages, R, BLAS, OS and CPU."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy  # noqa: F401  (loaded so that threadpool_info reports numpy's BLAS)
from threadpoolctl import threadpool_info

from kmquant.reference import pngquant_version

PACKAGES = (
    "kmquant",
    "numpy",
    "scipy",
    "scikit-learn",
    "pillow",
    "pandas",
    "snakemake",
    "rpy2",
    "threadpoolctl",
    "imagequant",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _os_name() -> str:
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.platform()


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


#: Written by setup.sh into the environment it installs: the sha256 and path of the lock file
#: the packages came from.
LOCK_RECORD = "kmquant-lock.sha256"


def installed_lock(prefix: str | Path) -> dict[str, str] | None:
    """The lock file an environment was installed from and its sha256, as setup.sh recorded
    them; None for an environment set up another way."""
    record = Path(prefix) / LOCK_RECORD
    if not record.exists():
        return None
    digest, path = record.read_text().split(maxsplit=1)
    return {"file": path.strip(), "sha256": digest}


def _r_versions() -> dict[str, Any]:
    import rpy2.robjects as ro

    r = ro.r
    return {
        "version": str(r("R.version.string")[0]),
        "blas": str(r('extSoftVersion()[["BLAS"]]')[0]),
        "lapack": str(r("La_library()")[0]),
    }


def collect() -> dict[str, Any]:
    blas = [
        {k: info.get(k) for k in ("internal_api", "version", "filepath", "num_threads")}
        for info in threadpool_info()
    ]
    return {
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "lock": installed_lock(sys.prefix),
        "r": _r_versions(),
        "pngquant": pngquant_version(),
        "python_blas": blas,
        "os": _os_name(),
        "kernel": platform.release(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
