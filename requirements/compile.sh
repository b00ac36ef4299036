#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml: every package the study and the tests install
# (the `dev` extra), pinned exactly with the hashes of every file PyPI serves for it, for
# every Python the set-up supports (one universal lock per rpy2 line: setup.sh picks rpy2 by
# the installed R, 3.5.17 below R 4.5 and 3.6 from R 4.5 on).
#   requirements/compile.sh            # needs uv (pip install uv)
set -euo pipefail
cd "$(dirname "$0")"
uv="${UV:-uv}"
for line in "rpy2-3.5:rpy2==3.5.17" "rpy2-3.6:rpy2>=3.6,<3.7"; do
  name="${line%%:*}"
  echo "${line#*:}" > "$name.in"
  "$uv" pip compile ../pyproject.toml "$name.in" --extra dev --universal \
    --python-version 3.11 --generate-hashes --quiet -o "lock-$name.txt"
  rm "$name.in"
done
# The conda environment of the rules, from the same pyproject.toml.
"${PYTHON:-../.venv/bin/python}" conda_env.py
