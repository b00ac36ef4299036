#!/usr/bin/env bash
# Set up the project on a fresh Debian machine (as root, or a user with sudo), then:
#   ./setup.sh          set up only
#   ./setup.sh study    set up and run the default study:   snakemake --cores all
#   ./setup.sh test     set up and run every test:          pytest (R's testthat and a
#                       headless chromium included)
# Idempotent: what is already installed is kept.
set -euo pipefail
cd "$(dirname "$0")"
action="${1:-}"
PYTHON="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# R from Debian's packages, only if missing; testthat only for the tests.
command -v Rscript >/dev/null 2>&1 || apt_install r-base-core r-base-dev
r_has() { Rscript -e "quit(status = !requireNamespace('$1', quietly = TRUE))" >/dev/null 2>&1; }
# amap, whose amap::Kmeans is one of the study's K-means implementations.
r_has amap || apt_install r-cran-amap
if [ "$action" = test ] && ! r_has testthat; then
  apt_install r-cran-testthat
fi
# pngquant, one of the reference quantizers, run as the command-line tool its users run.
command -v pngquant >/dev/null 2>&1 || apt_install pngquant
# The explorer's browser test drives Debian's chromium (Playwright's own download fails here).
if [ "$action" = test ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

# rpy2 3.6 needs R >= 4.5 (R_getVar); 3.5.17 is the last release that loads with older R.
# Each rpy2 line has its lock of exact versions and hashes (requirements/compile.sh).
if [ "$(Rscript -e 'cat(getRversion() >= "4.5.0")')" = TRUE ]; then
  lock=requirements/lock-rpy2-3.6.txt
  # rpy2-rinterface 3.6 is built from source here: it needs Python's headers (and R's, from
  # r-base-dev).
  "$PYTHON" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || apt_install python3-dev
else
  lock=requirements/lock-rpy2-3.5.txt
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || { apt_install python3-venv; "$PYTHON" -m venv .venv; }
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q --require-hashes -r "$lock"
.venv/bin/python -m pip install -q --no-deps -e .
# Which lock this environment was installed from, for results/environment.json.
sha256sum "$lock" > .venv/kmquant-lock.sha256
.venv/bin/python -c 'import rpy2.robjects as ro; print("rpy2 loads", ro.r("R.version.string")[0])'

case "$action" in
  study) exec .venv/bin/snakemake --cores all ;;
  test) exec .venv/bin/python -m pytest ;;
  "") echo "Set up. Activate with: source .venv/bin/activate" ;;
  *) echo "usage: $0 [study|test]" >&2; exit 2 ;;
esac
