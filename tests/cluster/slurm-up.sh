#!/usr/bin/env bash
# Start a real one-node SLURM cluster on this Debian machine (as root, no systemd needed):
# munged, slurmctld and slurmd from Debian's packages, with the machine's CPUs and its memory
# minus 1 GB. Stop it again with slurm-down.sh, which kills exactly the PIDs started here.
#   tests/cluster/slurm-up.sh          prints the state folder when the node is idle
set -euo pipefail

STATE=/run/kmquant-slurm                       # pid files and logs of this cluster
CONF=/etc/slurm/slurm.conf                     # jobsteps strip SLURM_CONF: only this path works
MARK="# written by kmquant tests/cluster/slurm-up.sh"

[ "$(id -u)" -eq 0 ] || { echo "slurm-up: needs root" >&2; exit 2; }
if [ -e "$CONF" ] && ! grep -qxF "$MARK" "$CONF"; then
  echo "slurm-up: $CONF exists and is not ours; refusing to replace a real cluster's config" >&2
  exit 2
fi
if [ -s "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
  echo "$STATE"; exit 0                        # already up
fi

missing=()
for tool in munged slurmctld slurmd sinfo; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    munge slurmctld slurmd slurm-client >/dev/null
fi

mkdir -p "$STATE" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /run/munge /var/log/munge
chown munge:munge /run/munge /var/log/munge
chown slurm:slurm /var/lib/slurm/slurmctld "$STATE"
[ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; }
chown munge:munge /etc/munge/munge.key

host="$(hostname -s)"
# The node as slurmd sees it, with 1 GB of memory kept back for the system.
node="$(slurmd -C | head -n 1 | sed -E 's/ RealMemory=([0-9]+)//')"
memory=$(( $(slurmd -C | sed -nE 's/.*RealMemory=([0-9]+).*/\1/p') - 1024 ))
cat > "$CONF" <<CONFIG
$MARK
ClusterName=kmquant
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=300
ReturnToService=2
SchedulerType=sched/backfill
MpiDefault=none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
$node RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONFIG

wait_for() { for _ in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.2; done; return 1; }
# A munged that already runs (a real site's) is used, never stopped by slurm-down.sh.
if ! { [ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; }; then
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged --pid-file /run/munge/munged.pid
  wait_for /run/munge/munged.pid && cp /run/munge/munged.pid "$STATE/munged.pid"
fi
slurmctld && wait_for "$STATE/slurmctld.pid"
slurmd && wait_for "$STATE/slurmd.pid"

for _ in $(seq 60); do
  [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ] && { echo "$STATE"; exit 0; }
  sleep 1
done
echo "slurm-up: the node did not become idle; see $STATE/slurmctld.log and slurmd.log" >&2
sinfo -N -l >&2 || true
exit 1
