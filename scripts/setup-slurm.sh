#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the training backend's tests.
# Idempotent: safe to run again; a running, idle cluster is left alone.
#   sudo-less (run as root): scripts/setup-slurm.sh
# Exits 0 when `sinfo` shows the node idle; non-zero with a reason otherwise.
set -euo pipefail

log() { echo "setup-slurm: $*" >&2; }

if [ "$(id -u)" != "0" ]; then
  log "must run as root (starts munged, slurmctld, slurmd)"
  exit 1
fi

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

HOST="$(hostname)"
CPUS="$(nproc)"

# Munge: a key owned by munge, mode 400, and the daemon.
install -d -o munge -g munge -m 700 /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 755 /run/munge
install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- munged --force || munged --force
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi

# A minimal configuration: one node, one partition, no accounting daemon.
install -d /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
CONF="$(cat <<EOF
# Written by o1coder scripts/setup-slurm.sh
ClusterName=o1coder
SlurmctldHost=${HOST}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${HOST} CPUs=${CPUS} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
)"
if [ ! -f /etc/slurm/slurm.conf ] || [ "$(cat /etc/slurm/slurm.conf)" != "$CONF" ]; then
  log "writing /etc/slurm/slurm.conf"
  printf '%s\n' "$CONF" > /etc/slurm/slurm.conf
  CHANGED=1
else
  CHANGED=0
fi

running() { pgrep -x "$1" >/dev/null 2>&1; }

if [ "$CHANGED" = 1 ] && running slurmctld; then
  log "configuration changed: reconfiguring"
  scontrol reconfigure || true
fi
if ! running slurmctld; then
  log "starting slurmctld"
  slurmctld
fi
if ! running slurmd; then
  log "starting slurmd"
  slurmd
fi

state=""
for _ in $(seq 1 60); do
  state="$(sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)"
  case "$state" in
    idle|mix|alloc) log "node ${HOST} is ${state}"; sinfo; exit 0 ;;
    down*|drain*|inval*) scontrol update NodeName="${HOST}" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 1
done
log "node not idle after 60 s (state: '${state}'); see /var/log/slurm/"
exit 1
