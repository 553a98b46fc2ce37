#!/usr/bin/env bash
# Start a throw-away single-node Slurm cluster (slurmctld + slurmd on this
# machine) for CI.  Debian 12, run as root, no systemd, no munge.
#
# Idempotent: installs the Debian packages only if missing, and if the
# daemons already run with the same config it only re-checks the node.
#
# Usage:  bash .ci/slurm/start.sh        (stop with: bash .ci/slurm/stop.sh)
#
# Everything it writes (configuration, state, spool, logs, pid files) lives in one folder of its own,
# $SLURM_CI_HOME (default /tmp/microcircuits-slurm), never in /etc/slurm or /var: the daemons and the
# clients find the configuration through SLURM_CONF, which callers export (test_profile.sh does).
#
# Environment knobs (all optional):
#   SLURM_CI_HOME      the cluster's folder (/tmp/microcircuits-slurm)
#   SLURM_CI_TIMEOUT   seconds to wait for the node to become idle (60)
#   SLURM_CI_MEM_PCT   percent of MemTotal given to Slurm as RealMemory (75)
#   SLURM_CI_PARTITION partition name (debug)
set -euo pipefail

log() { printf '[slurm-ci] %s\n' "$*" >&2; }
die() { printf '[slurm-ci] ERROR: %s\n' "$*" >&2; exit 1; }

TIMEOUT="${SLURM_CI_TIMEOUT:-60}"
MEM_PCT="${SLURM_CI_MEM_PCT:-75}"
PARTITION="${SLURM_CI_PARTITION:-debug}"

HOME_DIR="${SLURM_CI_HOME:-/tmp/microcircuits-slurm}"
CONF_DIR="$HOME_DIR/etc"
CONF="$CONF_DIR/slurm.conf"
export SLURM_CONF="$CONF"
STATE_DIR="$HOME_DIR/state"
SPOOL_DIR="$HOME_DIR/spool"
LOG_DIR="$HOME_DIR/log"
CTLD_LOG="$LOG_DIR/slurmctld.log"
SLURMD_LOG="$LOG_DIR/slurmd.log"
CTLD_PID="$HOME_DIR/slurmctld.pid"
SLURMD_PID="$HOME_DIR/slurmd.pid"

# The daemons live in /usr/sbin, which a minimal CI PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[[ "$(id -u)" -eq 0 ]] || die "must run as root (it installs packages and starts daemons as root)"

# ---------------------------------------------------------------- install ---
install_start=$(now)
need_install=0
for bin in slurmctld slurmd slurmstepd sbatch srun squeue sinfo scontrol; do
    command -v "$bin" >/dev/null 2>&1 || need_install=1
done
if [[ $need_install -eq 1 ]]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian/Ubuntu only"
    log "installing Debian Slurm packages (slurmctld slurmd slurm-client)..."
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' postinst from trying to start the services (there is
    # no init system here, and we start them ourselves with our own config).
    created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    cleanup_policy() { [[ $created_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d; return 0; }
    trap cleanup_policy EXIT
    apt_log=$(mktemp /tmp/slurm-ci-apt.XXXXXX.log)
    apt_ok=1
    # munge gets pulled in as a hard dependency; it is never started or used.
    for attempt in 1 2 3; do
        apt_ok=1
        {
            apt-get -o DPkg::Lock::Timeout=300 update -q &&
            apt-get install -y -q --no-install-recommends \
                -o DPkg::Lock::Timeout=300 \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
                slurmctld slurmd slurm-client
        } >>"$apt_log" 2>&1 || apt_ok=0
        [[ $apt_ok -eq 1 ]] && break
        log "apt-get failed (attempt $attempt/3), retrying in 5s..."
        sleep 5
    done
    cleanup_policy
    trap - EXIT
    if [[ $apt_ok -ne 1 ]]; then
        tail -n 40 "$apt_log" >&2
        die "apt-get failed installing slurm packages (full log: $apt_log)"
    fi
    rm -f "$apt_log"
    for bin in slurmctld slurmd slurmstepd sbatch srun squeue sinfo scontrol; do
        command -v "$bin" >/dev/null 2>&1 || die "'$bin' still missing after installing slurm packages"
    done
    log "installed $(dpkg-query -W -f='${Version}' slurmctld) in $(elapsed "$install_start")s"
fi
start_start=$(now)

# ----------------------------------------------------------------- config ---
NODE="$(hostname -s 2>/dev/null || true)"
[[ -n "$NODE" ]] || NODE=localhost
CPUS="$(nproc)"
mem_total_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
REAL_MEM=$(( mem_total_mb * MEM_PCT / 100 ))
(( REAL_MEM >= 256 )) || die "too little memory for Slurm: MemTotal=${mem_total_mb}MB, RealMemory would be ${REAL_MEM}MB"
# srun/sbatch resolve the local hostname; make sure it resolves (to loopback).
if ! getent hosts "$NODE" >/dev/null 2>&1; then
    log "hostname '$NODE' does not resolve: adding '127.0.0.1 $NODE' to /etc/hosts"
    printf '127.0.0.1\t%s\n' "$NODE" >>/etc/hosts
fi

# Jobs submitted without --mem would otherwise get the whole node's memory
# and serialise everything; give them a modest per-CPU default instead.
DEF_MEM_PER_CPU=$(( REAL_MEM / CPUS ))
(( DEF_MEM_PER_CPU <= 1024 )) || DEF_MEM_PER_CPU=1024

new_conf="$(mktemp /tmp/slurm-ci-conf.XXXXXX)"
trap 'rm -f "$new_conf"' EXIT
cat >"$new_conf" <<EOF
# Generated by .ci/slurm/start.sh -- single-node CI cluster, do not edit.
ClusterName=ci
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818

# No munge: trust everyone on this (throw-away) machine.
AuthType=auth/none
CredType=cred/none

# No cgroups needed (works in containers/sandboxes).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none

# Reject at submit time jobs that can never run here (e.g. more CPUs than the
# node has) instead of leaving them pending forever (Reason=PartitionConfig).
EnforcePartLimits=ALL
MailProg=/bin/true

SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=${DEF_MEM_PER_CPU}

AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none

# Keep finished jobs visible to squeue for 10 minutes (snakemake's slurm
# executor polls squeue/sacct for the final state).
MinJobAge=600
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
Waittime=0

StateSaveLocation=${STATE_DIR}
SlurmdSpoolDir=${SPOOL_DIR}
SlurmctldPidFile=${CTLD_PID}
SlurmdPidFile=${SLURMD_PID}
SlurmctldLogFile=${CTLD_LOG}
SlurmdLogFile=${SLURMD_LOG}
SlurmctldDebug=info
SlurmdDebug=info

NodeName=${NODE} NodeAddr=127.0.0.1 NodeHostname=${NODE} CPUs=${CPUS} RealMemory=${REAL_MEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

# ---------------------------------------------------------------- helpers ---
pid_alive() {  # pid_alive PIDFILE NAME -> 0 if the daemon of that pidfile runs
    local pidfile=$1 name=$2 pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # guard against pid reuse
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == "$name"* ]]
}

node_state() {
    sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n1 || true
}

show_logs_and_die() {
    {
        echo "----- slurm.conf ($CONF) -----"; cat "$CONF" 2>/dev/null || true
        echo "----- sinfo -----"; sinfo 2>&1 || true
        echo "----- scontrol show node -----"; scontrol show node 2>&1 || true
        echo "----- tail $CTLD_LOG -----"; tail -n 40 "$CTLD_LOG" 2>&1 || true
        echo "----- tail $SLURMD_LOG -----"; tail -n 40 "$SLURMD_LOG" 2>&1 || true
        echo "----- processes -----"
        local pids; pids="$( { pgrep -x slurmctld; pgrep -x slurmd; pgrep -x slurmstepd; } | paste -sd, - || true)"
        if [[ -n "$pids" ]]; then ps -o pid,comm,args -p "$pids" || true; else echo "(no slurm daemons running)"; fi
    } >&2
    # Do not leave half-working daemons behind.
    bash "$(dirname "${BASH_SOURCE[0]}")/stop.sh" || true
    die "$*"
}

summary() {
    local st; st="$(node_state)"
    echo "slurm ready: $(sinfo -V 2>/dev/null) node=${NODE} state=${st} cpus=${CPUS} mem=${REAL_MEM}MB partition=${PARTITION} conf=${CONF} logs=${LOG_DIR} (start took $(elapsed "$start_start")s)"
}

# ------------------------------------------------------ already running? ---
if pid_alive "$CTLD_PID" slurmctld && pid_alive "$SLURMD_PID" slurmd \
   && [[ -f "$CONF" ]] && cmp -s "$new_conf" "$CONF"; then
    st="$(node_state)"
    case "$st" in
        idle|mixed|allocated|completing|idle*|mixed*|allocated*)
            log "slurmctld and slurmd already running with the same config"
            summary
            exit 0 ;;
    esac
    log "daemons run but node state is '${st:-unknown}': restarting them"
fi

# Stop whatever runs (stale or with another config) before (re)starting.
if pid_alive "$CTLD_PID" slurmctld || pid_alive "$SLURMD_PID" slurmd \
   || pgrep -x slurmctld >/dev/null 2>&1 || pgrep -x slurmd >/dev/null 2>&1; then
    log "stopping running Slurm daemons first"
    bash "$(dirname "${BASH_SOURCE[0]}")/stop.sh"
fi

mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR"
chmod 755 "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR"
install -m 644 "$new_conf" "$CONF"
# Debian's plugstack.conf includes plugstack.conf.d/*.conf; an empty glob is fine.
: >"$CTLD_LOG"
: >"$SLURMD_LOG"

# ------------------------------------------------------------------ start ---
# -c: start with clean state (no jobs/node states from an earlier run).
# Both daemons fork into the background themselves and write their pid files.
log "starting slurmctld"
slurmctld -c -f "$CONF" >>"$CTLD_LOG" 2>&1 || show_logs_and_die "slurmctld failed to start"
log "starting slurmd (node $NODE)"
slurmd -f "$CONF" -N "$NODE" >>"$SLURMD_LOG" 2>&1 || show_logs_and_die "slurmd failed to start"

# The daemons fork; their pid files appear a moment later.
for _ in $(seq 1 40); do
    pid_alive "$CTLD_PID" slurmctld && pid_alive "$SLURMD_PID" slurmd && break
    sleep 0.25
done

deadline=$(( SECONDS + TIMEOUT ))
st=""
while :; do
    st="$(node_state)"
    case "$st" in idle|idle*) break ;; esac
    if [[ "$st" == down* || "$st" == drain* ]] && (( SECONDS > deadline - TIMEOUT + 10 )); then
        # ReturnToService=2 should bring it up; nudge it in case it does not.
        scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
    fi
    pid_alive "$CTLD_PID" slurmctld || show_logs_and_die "slurmctld is not running (died during startup?)"
    pid_alive "$SLURMD_PID" slurmd || show_logs_and_die "slurmd is not running (died during startup?)"
    (( SECONDS < deadline )) || show_logs_and_die "node '$NODE' not idle after ${TIMEOUT}s (state: '${st:-no answer from slurmctld}')"
    sleep 1
done

summary
