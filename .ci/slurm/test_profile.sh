#!/usr/bin/env bash
# The smoke-scale Fig. 2 (2a and 2b) through the slurm profile, against a real single-node slurm started here:
#   start slurmctld + slurmd (start.sh), run `snakemake --profile slurm fig2 --config scale=smoke` in a copy
#   of the repository (as a user types it from the root), check the figures, the reports and that the jobs
#   ran as grouped slurm jobs (the warm-ups and the three simulations), and stop the daemons whatever
#   happens.  Fig. 2 rather than Fig. 3 keeps CI short; the grouping of Fig. 3's 40 simulations is checked by
#   the slurm profile's dry run in tests/test_workflow_config.py.
# Local-cluster settings are given on the command line, not in profiles/slurm: this cluster has no
# accounting (so the plugin must poll squeue) and should be polled often.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
python="$repo/.venv/bin/python"
[ -x "$python" ] || { echo "test_profile.sh: $python missing: install the package first (.ci/run)" >&2; exit 2; }

# the cluster's configuration and state stay in a folder of their own (start.sh), found through SLURM_CONF
export SLURM_CI_HOME="${SLURM_CI_HOME:-/tmp/microcircuits-slurm}"
export SLURM_CONF="$SLURM_CI_HOME/etc/slurm.conf"
bash "$repo/.ci/slurm/start.sh"
# the jobstep plugin runs `srun` inside each job with every SLURM_* variable but the job's ids removed,
# SLURM_CONF included: a cluster whose configuration is not at the default path needs an srun that knows it
# (a real cluster keeps it at the default path and needs nothing)
mkdir -p "$SLURM_CI_HOME/bin"
printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$(command -v srun || echo /usr/bin/srun)" > "$SLURM_CI_HOME/bin/srun"
chmod 755 "$SLURM_CI_HOME/bin/srun"
export PATH="$SLURM_CI_HOME/bin:$PATH"
trap 'bash "$repo/.ci/slurm/stop.sh"' EXIT

work=$(mktemp -d /tmp/fig2-slurm.XXXXXX)
for f in Snakefile workflow config notebooks profiles envs src; do cp -r "$repo/$f" "$work/"; done
ln -s profiles/slurm "$work/slurm"
cd "$work"

start=$(date +%s)
# `timeout -k`: a stuck status poll would otherwise keep snakemake alive (it ignores SIGTERM then)
timeout -k 30 1500 "$python" -m snakemake --profile slurm fig2 --config scale=smoke \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 \
    --slurm-keep-successful-logs > snakemake.log 2>&1 || { tail -50 snakemake.log; exit 1; }
elapsed=$(( $(date +%s) - start ))

fail() { echo "test_profile.sh: $*" >&2; tail -30 snakemake.log >&2; exit 1; }
for f in results/smoke/fig2a/fig2a.png results/smoke/fig2a/fig2a.html results/smoke/fig2b/fig2b.png results/smoke/fig2b/fig2b.html results/smoke/index.html; do
    [ -s "$f" ] || fail "missing output $f"
done
submitted=$(grep -c "has been submitted with SLURM jobid" snakemake.log || true)
[ "$submitted" -ge 2 ] || fail "expected the warm-ups and the simulations as slurm jobs, saw $submitted submissions"
grep -q "Group job fig2_sims" snakemake.log || fail "simulations were not grouped"
ls logs/slurm/*/*.log > /dev/null 2>&1 || ls -R logs/slurm > /dev/null 2>&1 || fail "no slurm job logs under logs/slurm"
"$python" - <<'PY'
import json, xarray as xr
for fig in ("fig2a", "fig2b"):
    nb = json.load(open(f"results/smoke/{fig}/{fig}.ipynb"))
    assert not nb["metadata"]["papermill"].get("exception"), f"the {fig} notebook raised"
ds = xr.open_dataset("results/smoke/fig2a/fig2a.nc")
assert ds.sizes["seed"] == 3 and ds.attrs["scale"] == "smoke", dict(ds.sizes)
PY
echo "slurm fig2 (smoke): ok in ${elapsed} s, ${submitted} slurm jobs; outputs in $work/results/smoke"
