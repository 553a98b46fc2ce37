#!/usr/bin/env bash
# Stop the single-node CI Slurm cluster started by .ci/slurm/start.sh.
# Idempotent: never fails when nothing runs.  Running jobs are killed.
set -euo pipefail

log() { printf '[slurm-ci] %s\n' "$*" >&2; }

HOME_DIR="${SLURM_CI_HOME:-/tmp/microcircuits-slurm}"  # start.sh's folder
export SLURM_CONF="$HOME_DIR/etc/slurm.conf"
CTLD_PID="$HOME_DIR/slurmctld.pid"
SLURMD_PID="$HOME_DIR/slurmd.pid"

pid_of() {  # pid_of PIDFILE NAME -> prints pid if that daemon is alive
    local pidfile=$1 name=$2 pid
    [[ -s "$pidfile" ]] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == "$name"* ]] || return 0
    echo "$pid"
}

daemon_pids() {  # pids of slurmctld/slurmd/slurmstepd: pid files + exact-name match
    {
        pid_of "$CTLD_PID" slurmctld
        pid_of "$SLURMD_PID" slurmd
        if command -v pgrep >/dev/null 2>&1; then
            pgrep -x slurmctld || true
            pgrep -x slurmd || true
            pgrep -x slurmstepd || true
        fi
    } | sort -un
}

pids="$(daemon_pids)"
if [[ -z "$pids" ]]; then
    log "no Slurm daemons running"
    rm -f "$CTLD_PID" "$SLURMD_PID"
    exit 0
fi

# Cancel jobs so their processes do not outlive the daemons, then ask the
# daemons to shut down cleanly.
if command -v scancel >/dev/null 2>&1; then
    timeout 10 scancel --full --user=root >/dev/null 2>&1 || true
fi
if command -v scontrol >/dev/null 2>&1; then
    timeout 10 scontrol shutdown >/dev/null 2>&1 || true
fi

# Wait up to 15 s for a clean exit, then TERM, then KILL.
for sig in none TERM KILL; do
    if [[ "$sig" != none ]]; then
        pids="$(daemon_pids)"
        [[ -z "$pids" ]] && break
        log "sending SIG$sig to: $(tr "\n" " " <<<"$pids")"
        # shellcheck disable=SC2086
        kill -s "$sig" $pids 2>/dev/null || true
    fi
    for _ in $(seq 1 30); do
        [[ -z "$(daemon_pids)" ]] && break 2
        sleep 0.5
    done
done

rm -f "$CTLD_PID" "$SLURMD_PID"
left="$(daemon_pids)"
if [[ -n "$left" ]]; then
    # Should not happen; report but do not fail CI teardown.
    log "WARNING: Slurm processes still alive: $(tr "\n" " " <<<"$left")"
else
    log "Slurm daemons stopped"
fi
exit 0
