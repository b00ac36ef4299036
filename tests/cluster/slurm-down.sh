#!/usr/bin/env bash
# Stop the one-node cluster that slurm-up.sh started: kill the PIDs it recorded, and only those.
set -uo pipefail
STATE=/run/kmquant-slurm
for daemon in slurmd slurmctld munged; do
  pidfile="$STATE/$daemon.pid"
  [ -s "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
# Without our config, SLURM's tools fail at once instead of waiting for a controller that is
# gone (the SLURM executor plugin asks `scontrol show config` whenever snakemake starts).
MARK="# written by kmquant tests/cluster/slurm-up.sh"
if [ -f /etc/slurm/slurm.conf ] && grep -qxF "$MARK" /etc/slurm/slurm.conf; then
  rm -f /etc/slurm/slurm.conf
fi
