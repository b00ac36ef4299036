#!/usr/bin/env bash
# A second machine: rerun the default study on Debian 13 (trixie: R 4.5, Python 3.13, rpy2
# 3.6), built here from Debian's own packages, and compare it with a run of the same commit on
# this machine.
#
#   tests/second_machine/run.sh [COMMIT] [LOCAL_RESULTS]
#
# COMMIT (default HEAD) is exported from this repository into a Debian 13 root file system
# (mmdebstrap) and set up there by the README's own command, ./setup.sh, which installs R, the
# venv and rpy2 from that system's packages and the lock; then `snakemake --cores all` runs the
# default study. LOCAL_RESULTS is the results folder of a run of the same commit on this
# machine; without it, one is run here first. The report of `kmquant compare-runs`, both
# environments, both manifests and the step times are written to $OUT (default
# docs/second-machine in this repository).
#
# Needs root (a chroot and bind mounts) and mmdebstrap (installed from Debian if missing);
# anywhere else it stops at once with the reason (exit status 77, "skipped"). It removes the
# root file system and every mount it made when it ends, however it ends.
set -euo pipefail

repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
commit="$(git -C "$repo" rev-parse "${1:-HEAD}")"
local_results="${2:-}"
out="${OUT:-$repo/docs/second-machine}"

skip() { echo "skipped: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root for the chroot and its bind mounts"
command -v apt-get >/dev/null || skip "needs a Debian machine (apt-get)"

work="$(mktemp -d /var/tmp/kmquant-second-machine.XXXXXX)"
root="$work/trixie"
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that a killed run cleans up too
bind() {  # bind SOURCE into the root at the same path, read-only
  mkdir -p "$root$1"
  mount --bind "$1" "$root$1" && mount -o remount,bind,ro "$root$1"
  mounts+=("$root$1")
}
# Run a step, its output to stderr, and print its seconds; a failing step ends the script.
seconds() { local start=$SECONDS; "$@" >&2 || return; echo $((SECONDS - start)); }
mkdir -p "$out"
times="$out/times.txt"
: > "$times"

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)"
[ -n "$mirror" ] || mirror="$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"

command -v mmdebstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap
echo "building Debian 13 from $mirror"
t=$(seconds mmdebstrap --quiet --variant=apt --include=ca-certificates,python3,python3-venv \
  trixie "$root" "deb $mirror trixie main")
echo "mmdebstrap (Debian 13 root file system): $t s" | tee -a "$times"

# pip as this machine configures it: its global configuration, the CA bundle it names and the
# local package folders it points to (all read-only).
for file in /etc/pip.conf /etc/xdg/pip/pip.conf /etc/xdg/pip/constraints.txt; do
  [ -e "$file" ] && install -D -m 644 "$file" "$root$file"
done
pip_env=()
while IFS='=' read -r name value; do pip_env+=("$name=$value"); done < <(env | grep -E '^PIP_' || true)
ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
install -D -m 644 "$ca" "$root/etc/ssl/certs/host-ca-bundle.crt"
pip_env+=("PIP_CERT=/etc/ssl/certs/host-ca-bundle.crt")
for folder in $(pip config list 2>/dev/null | grep -oE '(file://)?/opt/[^ '"'"']+' | sed 's|^file://||; s|/simple$||' | sort -u); do
  [ -d "$folder" ] && bind "$folder"
done
for fs in proc sys dev; do mount --rbind "/$fs" "$root/$fs"; mount --make-rslave "$root/$fs"; mounts+=("$root/$fs"); done
cp /etc/resolv.conf "$root/etc/resolv.conf"

mkdir "$root/kmquant"
git -C "$repo" archive "$commit" | tar -x -C "$root/kmquant"
in_root() {
  chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 "${pip_env[@]}" bash -c "cd /kmquant && $1"
}
t=$(seconds in_root "./setup.sh")
echo "./setup.sh on Debian 13 (R, pngquant, venv, rpy2 from the lock): $t s" | tee -a "$times"
t=$(seconds in_root ".venv/bin/snakemake --cores all --quiet")
echo "default study on Debian 13: $t s" | tee -a "$times"

if [ -z "$local_results" ]; then
  mkdir "$work/local"
  git -C "$repo" archive "$commit" | tar -x -C "$work/local"
  t=$(seconds "$repo/.venv/bin/snakemake" -s "$work/local/Snakefile" -d "$work/local" --cores all --quiet)
  echo "default study on this machine: $t s" | tee -a "$times"
  local_results="$work/local/results"
fi

cp "$local_results/environment.json" "$out/environment-local.json"
cp "$root/kmquant/results/environment.json" "$out/environment-debian13.json"
cp "$local_results/manifest.sha256" "$out/manifest-local.sha256"
cp "$root/kmquant/results/manifest.sha256" "$out/manifest-debian13.sha256"
echo "$commit" > "$out/commit.txt"
ln -s "$local_results" "$work/debian12" && ln -s "$root/kmquant/results" "$work/debian13"
(cd "$work" && "$repo/.venv/bin/python" -m kmquant compare-runs debian12 debian13 \
  --out "$out/report.md")
echo "report: $out/report.md"
