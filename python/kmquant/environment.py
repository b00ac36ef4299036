"""What the results were computed with: Python, packages, the implementations' and the reference
quantizers' versions, R, BLAS, OS and CPU."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy  # noqa: F401  (loaded so that threadpool_info reports numpy's BLAS)
from threadpoolctl import threadpool_info

from kmquant.atomic import write_text
from kmquant.implementations import IMPLEMENTATIONS
from kmquant.reference import versions as reference_versions


def runtime_packages() -> list[str]:
    """kmquant and every runtime dependency it declares (pyproject.toml's `dependencies`, as
    the installed package records them), and rpy2, which setup.sh installs to match R."""
    from packaging.requirements import Requirement

    declared = [Requirement(text) for text in metadata.requires("kmquant") or []]
    runtime = [req.name for req in declared if req.marker is None or "extra" not in str(req.marker)]
    return ["kmquant", *runtime, "rpy2"]


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


def _r_build() -> dict[str, Any]:
    import rpy2.robjects as ro

    r = ro.r
    return {
        "version": str(r("R.version.string")[0]),
        "blas": str(r('extSoftVersion()[["BLAS"]]')[0]),
        "lapack": str(r("La_library()")[0]),
    }


def _r_package_version(package: str) -> str | None:
    import rpy2.robjects as ro

    found = ro.r["requireNamespace"](package, quietly=True)[0]
    return str(ro.r["as.character"](ro.r["packageVersion"](package))[0]) if found else None


def implementation_versions() -> dict[str, str | None]:
    """Each implementation's library and its version, read where the registry says
    (`version_of`: a Python distribution or an R package); None where it is not installed."""
    versions = {}
    for name, entry in IMPLEMENTATIONS.items():
        where, package = entry.version_of.split(":", 1)
        version = _version(package) if where == "pip" else _r_package_version(package)
        versions[name] = None if version is None else f"{package} {version}"
    return versions


def collect() -> dict[str, Any]:
    blas = [
        {k: info.get(k) for k in ("internal_api", "version", "filepath", "num_threads")}
        for info in threadpool_info()
    ]
    return {
        "python_version": platform.python_version(),
        "packages": {name: _version(name) for name in runtime_packages()},
        "implementations": implementation_versions(),
        "lock": installed_lock(sys.prefix),
        "r_build": _r_build(),
        "reference_quantizers": reference_versions(),
        "python_blas": blas,
        "os": _os_name(),
        "kernel": platform.release(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }


def write(out: str | Path) -> None:
    """results/environment.json."""
    write_text(out, json.dumps(collect(), indent=2, sort_keys=True) + "\n")
