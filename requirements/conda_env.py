"""Write workflow/envs/kmquant.yaml, the conda environment of every rule (for
`snakemake --sdm conda`), from pyproject.toml: each runtime dependency with its range, under
its conda-forge name, and what setup.sh installs from Debian instead (R, amap, pngquant) and
chooses by R's version (rpy2).

    python requirements/conda_env.py            # rewrite the file
    python requirements/conda_env.py --check    # exit 1 if the file is not what it would write
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "workflow" / "envs" / "kmquant.yaml"
#: PyPI names whose conda-forge package is named otherwise.
CONDA_NAMES = {
    "opencv-python-headless": "py-opencv",
    "matplotlib": "matplotlib-base",
    "snakemake": "snakemake-minimal",
}
#: PyPI packages that conda-forge does not carry: installed by pip inside the environment.
PIP_ONLY = {"imagequant"}
#: What setup.sh installs outside pyproject.toml.
SYSTEM = ("r-base >=4.2", "r-amap", "pngquant", "rpy2 >=3.5.17")
HEADER = """\
# The software of every rule, for `snakemake --sdm conda` on machines with conda. Written by
# requirements/conda_env.py from pyproject.toml (a test checks that it is); the supported
# set-up is ./setup.sh (a venv and Debian's R). kmquant itself is the one the workflow imports.
"""


def environment(pyproject: Path = ROOT / "pyproject.toml") -> str:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    python = project["requires-python"].removeprefix(">=")
    conda, pip = [f"python >={python}", *SYSTEM], []
    for text in project["dependencies"]:
        requirement = Requirement(text)
        spec = str(requirement.specifier)
        if requirement.name in PIP_ONLY:
            pip.append(f"{requirement.name}{spec}")
        else:
            name = CONDA_NAMES.get(requirement.name, requirement.name)
            conda.append(f"{name} {spec}".strip())
    lines = [HEADER + "channels:", "  - conda-forge", "  - nodefaults", "dependencies:"]
    lines += [f"  - {entry}" for entry in conda]
    lines += ["  - pip", "  - pip:"] + [f"      - {entry}" for entry in pip]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = environment()
    if args.check:
        sys.exit(TARGET.read_text(encoding="utf-8") != text)
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
