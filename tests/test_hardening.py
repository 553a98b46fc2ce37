"""Bad input as a hostile tester would give it, and runs that go wrong: every bad parameter file and option
gets one line, exit 2, no traceback and no file; a run stopped by a signal leaves nothing; a diverging run stops
(or, when asked, is marked); every bad workflow config stops the dry run with the file and key path; a hostile
net name never reaches slurm's sbatch (stand-in commands on PATH), and no planned output lies outside
results/ and logs/.  Kill -9 and resume: test_resume.py.  Counts per category are printed at the end
of the session (conftest.py).  The config cases are slow (a dry run each): CI runs a seeded subset, the
full set runs with MICROCIRCUITS_FULL_HARDENING=1."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from microcircuits.cli import main
from microcircuits.params import SCHEMA
from microcircuits.report import finite_runs, multilayer_summary

from .conftest import FIG3
from .workflow_support import snakemake, workflow_copy

FULL = os.environ.get("MICROCIRCUITS_FULL_HARDENING") == "1"
BASE_FILE = FIG3 / "4-2-1" / "errormc" / "params.json"
# a quick run: a bad value that slipped through would finish in seconds (and fail its case), not run for hours
QUICK = dict(random_seed=[56789], epochs=1, dataset_size=2, settling_time=0.2, rec_per_steps=50)


def record(category: str, tried: int, held: int) -> None:
    """Add to the session's counts (read by conftest.pytest_terminal_summary; works across xdist workers)."""
    from .conftest import HARDENING_COUNTS
    HARDENING_COUNTS.mkdir(parents=True, exist_ok=True)
    with open(HARDENING_COUNTS / f"{category}.{os.getpid()}.jsonl", "a") as fh:
        fh.write(json.dumps({"tried": tried, "held": held}) + "\n")


@contextlib.contextmanager
def counted(category: str):
    """One tried case of `category`; it held if the block finished without an assertion failing."""
    held = False
    try:
        yield
        held = True
    finally:
        record(category, 1, int(held))


def base() -> dict:
    data = json.loads(BASE_FILE.read_text(), object_pairs_hook=lambda pairs: dict(pairs))
    return {**data, **QUICK}


# --- bad values of every key the simulator reads ----------------------------------------------------------

BAD_BY_KIND = {
    "choice": ["nonsense", 1, ["errormc"], True],
    "bool": ["yes", 2, [True], 1.0],
    "int": [-1, 1.5, "3", True, [1]],
    "number": ["x", [1.0], True, -1e308 * 10, {"a": 1}],
    "range": [[1, 0], [0], "x", [0, "1"], [0, 1, 2]],
    "int_list": ["x", [1.5, 2], [-1, 2], [True, 1], 5],
    "number_list": ["x", [1, "a"], 3, [[1]]],
    "bool_list": ["x", [], [1, 0], [True, "no"]],
    "activation": ["sigmoid", ["tanh", "nope"], 3, []],
    "eta": ["x", [1, "a"], [[1, "a"]], 2],
    "str": [3, ["a"], True],
}
# values of a kind that a key accepts as its neutral value (None: "not set") are not bad
NOT_BAD = {("number", -1e308 * 10)}


def bad_value_cases():
    cases = []
    for key, meta in SCHEMA.items():
        if meta["status"] == "dead" or meta["check"].kind == "any":
            continue
        for value in BAD_BY_KIND.get(meta["check"].kind, []):
            if isinstance(value, float) and not np.isfinite(value):
                value = "Infinity"  # JSON's spelling, which Python's json module reads as inf
            cases.append(pytest.param(key, value, id=f"{key}={json.dumps(value)}"))
    # values valid on their own that no run can take
    for key, value in [("layers", [100000, 100000, 1]), ("layers", [10**9, 1]), ("dt", 1e-300), ("Tpres", 1e6),
                       ("dataset_size", 10**9), ("epochs", 10**12), ("random_seed", [2**32]), ("random_seed", [2**70]),
                       ("random_seed", []), ("constructor_seed", 2**32), ("error_layers", [0, 2]),
                       ("teacher_layers", [5, 2, 1]), ("eta_fw", [1.0]), ("eta_fw", [[1, 0], [0, 1], [1, 1]]),
                       ("input_signal", "genMNIST"), ("input_signal", "cartpole"), ("input_signal", "dms"),
                       ("dt", "NaN"), ("gl", "Infinity"), ("Tpres", 0.001),
                       ("ablate_after_epoch", 0), ("ablate_block", [2, 1]), ("lateral_sps_reset", True),
                       ("rec_rate_MSE", False), ("copy_teacher_weights", True)]:
        cases.append(pytest.param(key, value, id=f"run:{key}={json.dumps(value)[:30]}"))
    return cases


def assert_refused(capsys, tmp_path, argv, out):
    """Exit 2, exactly one line on stderr, no traceback, and nothing in the output folder."""
    before = set(tmp_path.iterdir())
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("microcircuits: "), err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp-*")) and set(tmp_path.iterdir()) <= before
    return lines[0]


def json_text(data: dict) -> str:
    return json.dumps(data, allow_nan=True).replace('"Infinity"', "Infinity").replace('"NaN"', "NaN")


@pytest.mark.parametrize("key,value", bad_value_cases())
def test_bad_value_is_refused_in_one_line(capsys, tmp_path, key, value):
    f = tmp_path / "params.json"
    f.write_text(json_text({**base(), key: value}))
    out = tmp_path / "run.nc"
    with counted("bad parameter values"):
        line = assert_refused(capsys, tmp_path, ["simulate", str(f), "--out", str(out), "--quiet"], out)
        assert str(f) in line


# --- bad files ------------------------------------------------------------------------------------------

def bad_files():
    good = json_text(base())
    yaml_good = "\n".join(f"{k}: {json.dumps(v)}" for k, v in base().items() if k != "_comment")
    return {
        "not-utf8.json": b"\xff\xfe" + good.encode(),
        "latin1.json": good.replace("errormc", "errormc\u00e9").encode("latin-1"),
        "truncated.json": good[: len(good) // 2].encode(),
        "empty.json": b"",
        "empty.yaml": b"",
        "null.yaml": b"null\n",
        "list.json": b"[1, 2, 3]",
        "string.json": b'"mc_model"',
        "number.yaml": b"42\n",
        "duplicate.json": good.replace('"dt": 0.01', '"dt": 0.01, "dt": 0.02').encode(),
        "duplicate.yaml": (yaml_good + "\ndt: 0.02\n").encode(),
        "date.yaml": (yaml_good + "\n_comment: 2024-01-01\n").encode(),
        "date-in-dead-key.yaml": (yaml_good + "\nalpha: 2024-01-01\n").encode(),
        "alias.yaml": (yaml_good.replace("layers:", "layers: &L") + "\nteacher_layers: *L\n").encode(),
        "alias-bomb.yaml": (yaml_good + "\n_comment: &a [1, 1]\nalpha: &b [*a, *a]\ntauxi: [*b, *b]\n").encode(),
        "python-tag.yaml": (yaml_good + "\nalpha: !!python/object/apply:os.system ['true']\n").encode(),
        "binary.yaml": (yaml_good + "\nalpha: !!binary aGVsbG8=\n").encode(),
        "set.yaml": (yaml_good + "\nalpha: !!set {a, b}\n").encode(),
        "custom-tag.yaml": (yaml_good + "\nalpha: !mytag 3\n").encode(),
        "deep.json": ("[" * 50000 + "]" * 50000).encode(),
        "deep-dead-key.json": good.replace('"alpha": [', '"alpha": [[[[[[[[[1]]]]]]]],"x": [').encode(),
        "deep-mapping.yaml": (yaml_good + "\nalpha: " + "{a: " * 20 + "1" + "}" * 20 + "\n").encode(),
        "huge.json": good.replace('"_comment"', '"_comment": "' + "x" * (2 << 20) + '", "_comment"', 1).encode(),
        "bad-yaml.yaml": b"mc_model: errormc\n  layers: [1, 2\n",
        "bad-json.json": good.replace(",", ";", 3).encode(),
        "nan-key.json": good.replace('"dt": 0.01', '"dt": NaN').encode(),
        "unknown-key.json": good.replace('"dt": 0.01', '"dtt": 0.01').encode(),
        "missing-required.json": json_text({k: v for k, v in base().items() if k != "layers"}).encode(),
        "non-string-key.yaml": (yaml_good + "\n1: 2\n").encode(),
        "bom-yaml.yaml": b"\xef\xbb\xbf" + b"\xff" + yaml_good.encode(),
    }


@pytest.mark.parametrize("name", list(bad_files()))
def test_bad_file_is_refused_in_one_line(capsys, tmp_path, name):
    f = tmp_path / name
    f.write_bytes(bad_files()[name])
    out = tmp_path / "run.nc"
    with counted("bad parameter files"):
        line = assert_refused(capsys, tmp_path, ["simulate", str(f), "--out", str(out), "--quiet"], out)
        assert str(f) in line
        assert main(["check", str(f)]) == 2  # check refuses what simulate refuses
        capsys.readouterr()


# --- bad options and outputs ----------------------------------------------------------------------------

def test_bad_options_and_outputs(capsys, tmp_path):
    f = tmp_path / "params.json"
    f.write_text(json_text(base()))
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    (tmp_path / "folder.nc").mkdir()
    cases = [
        ["simulate", str(f), "--out", str(tmp_path / "folder.nc")],            # a directory
        ["simulate", str(f), "--out", str(a_file / "run.nc")],                 # under a file
        ["simulate", str(f), "--out", str(tmp_path / "missing" / "run.nc")],   # no such folder
        ["simulate", str(f), "--out", str(tmp_path / "run.txt")],              # not .nc
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--seed", "-1"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--seed", str(2**40)],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--epochs", "0"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--threads", "0"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--set", "dt"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--set", "nokey=1"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--compare", "fa"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--bogus"],
        ["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--attr", "novalue"],
        ["simulate", str(tmp_path / "missing.json"), "--out", str(tmp_path / "run.nc")],
        ["simulate", str(tmp_path), "--out", str(tmp_path / "run.nc")],
        ["check", str(f), "--set", "layers=[4, 2]"],
        ["nosuchcommand"],
    ]
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(0o500)
        cases.append(["simulate", str(f), "--out", str(ro / "run.nc")])
    held = 0
    for argv in cases:
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's own errors exit (in one line, _Parser)
            code = stop.code
        err = capsys.readouterr().err.strip().splitlines()
        ok = code == 2 and len(err) == 1 and "Traceback" not in err[0] and not (tmp_path / "run.nc").exists()
        assert ok, (argv, code, err)
        held += ok
    record("bad options and outputs", len(cases), held)


def test_a_stale_temporary_of_a_dead_run_is_removed(tmp_path, capsys):
    """A run killed with SIGKILL leaves `run.nc.tmp-PID`; the next run on that output removes it (not one of
    a live process)."""
    f = tmp_path / "params.json"
    f.write_text(json_text(base()))
    dead, live = tmp_path / "run.nc.tmp-999999999", tmp_path / f"run.nc.tmp-{os.getppid()}"
    dead.write_text("partial")
    live.write_text("partial")
    assert main(["simulate", str(f), "--out", str(tmp_path / "run.nc"), "--quiet"]) == 0
    assert not dead.exists() and live.exists() and xr.open_dataset(tmp_path / "run.nc").test_loss.size == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_says_so_and_leaves_nothing(tmp_path, signum):
    """SIGTERM (a cluster's time limit, `kill`) or SIGINT (Ctrl-C) in the middle of a run: the progress bar
    cleared, one line, exit 1, no output and no temporary file."""
    f = tmp_path / "params.json"
    # 40 M steps (about 7 s), nothing recorded: long enough to be stopped, light on memory
    f.write_text(json_text({**base(), "epochs": 20000, "dataset_size": 100, "rec_per_steps": 10**6}))
    out = tmp_path / "run.nc"
    cmd = [sys.executable, "-m", "microcircuits.cli", "simulate", str(f), "--out", str(out)]
    with counted("stopped by a signal"):
        # Ctrl-C as a terminal delivers it (a test runner's worker may ignore SIGINT, and its children with it)
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            first = proc.stderr.read(1)  # the progress bar appears once the run is under way
            assert first and proc.poll() is None, "the run ended before it could be stopped"
            proc.send_signal(signum)
            err = (first + proc.communicate(timeout=60)[1]).strip()
        finally:
            proc.kill()
        lines = [line for line in err.splitlines() if line.strip()]
        assert proc.returncode == 1 and lines[-1] == "microcircuits: interrupted", (proc.returncode, err[-500:])
        assert "Traceback" not in err
        assert sorted(x.name for x in tmp_path.iterdir()) == ["params.json"]


def on_a_small_disk(size: str, argv: list[str], fill: bool) -> subprocess.CompletedProcess | None:
    """`microcircuits ARGV` with its output folder a tmpfs of ``size`` mounted in a private mount namespace
    (unshare -m: invisible outside, gone when the command ends); with ``fill``, another process fills the disk
    once the output's temporary file appears (the run passed its free-space check).  The folder's listing
    at the end is the last line of stdout.  None where such a mount is not allowed."""
    disk = Path(argv[argv.index("--out") + 1]).parent
    disk.mkdir(exist_ok=True)
    script = ('mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99; disk="$2"; fill="$3"; shift 3; "$@" & pid=$!; '
              'if [ "$fill" = 1 ]; then while kill -0 $pid 2>/dev/null && ! ls "$disk" | grep -q tmp-; do sleep 0.02; done; '
              'cat /dev/zero > "$disk/filler" 2>/dev/null; fi; wait $pid; code=$?; echo; ls -A "$disk" | tr "\\n" " "; exit $code')
    cmd = ["unshare", "-m", "sh", "-c", script, "sh", size, str(disk), str(int(fill)),
           sys.executable, "-m", "microcircuits.cli", *argv]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        return None
    return None if r.returncode == 99 or r.stderr.startswith("unshare:") else r


@pytest.mark.parametrize("size,fill,said", [("1m", False, "MiB free on its disk"), ("200m", True, "the disk is full")],
                         ids=["refused-before", "full-while-writing"])
def test_a_full_disk_gets_one_line(tmp_path, size, fill, said):
    """Too little space for the output: refused before the run; or, when the disk fills while the output is
    being written, one line naming the path and the cause.  Nothing of the run is left on the disk."""
    f = tmp_path / "params.json"
    f.write_text(json_text({**base(), "dataset_size": 1000, "rec_per_steps": 1}))
    out = tmp_path / "disk" / "run.nc"
    r = on_a_small_disk(size, ["simulate", str(f), "--out", str(out), "--quiet"], fill)
    if r is None:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    with counted("full disk"):
        err = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(err) == 1 and str(out) in err[0] and said in err[0], (r.returncode, err)
        assert r.stdout.splitlines()[-1].split() == (["filler"] if fill else []), r.stdout


# --- divergence ------------------------------------------------------------------------------------------

DIVERGING = [
    ("dPC", {"eta_fw": [1e6, 1e6]}, "training"),
    ("errormc", {"gl": 1e6}, "settling"),
    ("errormc", {"init_WPP_range": [-1e200, 1e200]}, "initial W"),
    ("sacramento2018", {"eta_fw": [1e8, 1e8], "eta_PI": [1e8], "eta_IP": [1e8]}, ""),
    ("ann", {"eta_fw": [1e9, 1e9]}, ""),
]


@pytest.mark.parametrize("model,overrides,where", DIVERGING, ids=[f"{m}-{next(iter(o))}" for m, o, _ in DIVERGING])
def test_a_diverging_run_stops_and_writes_nothing(capsys, tmp_path, model, overrides, where):
    f = tmp_path / "params.json"
    data = {**json.loads((FIG3 / "4-2-1" / model / "params.json").read_text()), **QUICK, "epochs": 3, **overrides}
    f.write_text(json.dumps(data))
    out = tmp_path / "run.nc"
    with counted("divergence"):
        line = assert_refused(capsys, tmp_path, ["simulate", str(f), "--out", str(out), "--quiet"], out)
        assert "seed 56789" in line and where in line and "not finite or beyond 1e+10" in line


def test_kept_divergence_is_marked_and_never_an_angle(capsys, tmp_path):
    """--allow-divergence: the file says which seed diverged; its angles are NaN, not the 0 that the
    reference's NaN-as-0 rule would make of them; the summaries count it instead of drawing it."""
    f = tmp_path / "params.json"
    data = {**json.loads((FIG3 / "4-2-1" / "dPC" / "params.json").read_text()), **QUICK, "epochs": 2, "eta_fw": [1e6, 1e6]}
    f.write_text(json.dumps(data))
    out = tmp_path / "run.nc"
    assert main(["simulate", str(f), "--out", str(out), "--quiet", "--compare", "bp", "--allow-divergence"]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.diverged.values.tolist() == [1] and "diverged in the training phase" in ds.attrs["divergence"]
        assert np.isnan(ds.angle_dw_bp_mean.values).all() and np.isnan(ds.test_loss.values).all()
    cells = xr.Dataset({"test_loss": (("net", "model", "variant", "seed"), [[[[0.1, 5.0], [0.2, 0.3]]]]),
                        "angle_dw_bp": (("net", "model", "variant", "seed", "area"), np.zeros((1, 1, 2, 2, 1))),
                        "diverged": (("net", "model", "variant", "seed"), [[[[0, 1], [0, 0]]]])},
                       coords={"net": ["2-1"], "model": ["dPC"], "variant": ["trained", "untrained"], "seed": [1, 2]})
    assert np.isnan(finite_runs(cells).test_loss.sel(variant="trained", seed=2)).all()
    row = multilayer_summary(cells).iloc[0]
    assert row["diverged seeds"] == 1 and row["test loss (median)"] == pytest.approx(0.1)
    record("divergence", 1, 1)


# --- bad workflow configs ---------------------------------------------------------------------------------

CONFIG_CASES = [
    # (config file, text to replace, replacement, what the message names)
    ("fig3", "    dt: 0.01", "    dt: -1", "fig3.common.dt: -1 is not allowed"),
    ("fig3", "    dt: 0.01", "    dt: 0.01\n    not_a_key: 1", "fig3.common.not_a_key"),
    ("fig3", '    activation: "tanh"', '    activation: "sigmoid"', "fig3.common.activation"),
    ("fig3", "      4-2-1: {eta_fw: [2, 0.2],", "      4-2-1: {eta_fw: [2, 0.2, 1],", "eta_fw"),
    ("fig3", "  epochs: 1000", "  epochs: 0", "fig3.epochs"),
    ("fig3", "  seeds_per_job: 10", "  seeds_per_job: 0", "fig3.seeds_per_job"),
    ("fig3", "  seeds: [56789,", "  seeds: [1180591620717411303424,", "fig3.seeds"),
    ("fig3", "  seeds: [56789,", "  seeds: [12345,", "fig3.seeds"),
    ("fig3", "  compare_bp: true", "  compare_bp: maybe", "fig3.compare_bp"),
    ("fig3", "  compare_bp: true", "  compare_bp: true\n  surprise: 1", "fig3"),
    ("fig3", "    2-1: [2, 1]", '    "a b": [2, 1]', "fig3.nets"),
    ("fig3", "    2-1: [2, 1]", '    "n$(touch PWNED)": [2, 1]', "fig3.nets"),
    ("fig3", "    2-1: [2, 1]", '    "../../escape": [2, 1]', "fig3.nets"),
    ("fig3", "    2-1: [2, 1]", "    2-1: [2, 0]", "fig3.nets"),
    ("fig3", "  models: [ann, errormc, dPC, sacramento2018]", "  models: [ann, nosuchmodel]", "fig3.models"),
    ("fig3", "    dt: 0.01", "    dt: 0.01\n    random_seed: [1]", ""),
    ("fig3", "    gl: 0.03", "    gl: -0.03", "fig3.common.gl"),
    ("fig3", "    Tpres: 0.2", "    Tpres: 0.001", "Tpres"),
    ("fig3", "fig3:", "fig3:\n  - broken", "config/fig3.yaml"),
    ("fig3", "    dt: 0.01", "    dt: [0.01", "config/fig3.yaml"),
    ("fig4", "  n_rep: [50, 100, 500, 1000]", "  n_rep: [50, 50]", "fig4.n_rep"),
    ("fig4", "  n_rep: [50, 100, 500, 1000]", "  n_rep: [0]", "fig4.n_rep"),
    ("fig4", "  threads_per_job: 1", "  threads_per_job: 9", "fig4.threads_per_job"),
    ("fig4", "    eta_fw: [1.0, 0.1]", "    eta_fw: [1.0]", "eta_fw"),
    ("fig4", "    activation: \"logistic\"", "    activation: \"softmax\"", "fig4.common.activation"),
    ("fig4", "  mnist_path: null", "  mnist_path: /nonexistent", "mnist_path"),
    ("fig5", "fig5:", "fig5:\n  bogus: 1", "fig5"),
    ("fig2a", "fig2a:", "fig2a:\n  bogus: 1", "fig2a"),
    ("fig2b", "fig2b:", "fig2b:\n  bogus: 1", "fig2b"),
    ("fig8", "  levels: 50", "  levels: 1", "fig8.levels"),
    ("fig8", "  levels: 50", "  levels: fifty", "fig8.levels"),
    ("figA1", "    dPC: {reuse: fig3}", "    dPC: {reuse: fig4}", "figA1.models"),
    ("figA1", "      model: errormc", "      model: nosuch", "figA1.models"),
    ("figA2", "figA2:", "figA2:\n  bogus: 1", "figA2"),
    ("figC1", "figC1:", "figC1:\n  bogus: 1", "figC1"),
    ("fig_ablation", "    ablate_after_epoch: 500", "    ablate_after_epoch: 1000", "ablate_after_epoch"),
    ("fig_ablation", "    ablate_block: [3, 2]", "    ablate_block: [3, 3]", "ablate_block"),
    ("fig_ablation", "    hierarchical:", '    "../x":', "fig_ablation.connectivities"),
    ("fig_ablation", "  seeds_per_job: 1", "  seeds_per_job: -1", "fig_ablation.seeds_per_job"),
    ("config", "scale: paper", "scale: enormous", "scale"),
    ("config", "results: results", "results: /etc", "results"),
    ("config", "results: results", "results: results/../..", "results"),
    ("scales/smoke", "  seeds: [56789, 12345]\n  seeds_per_job: 2\n  epochs: 20", "  seeds: [56789, 56789]\n  seeds_per_job: 2\n  epochs: 20", "fig3.seeds"),
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return workflow_copy(tmp_path_factory.mktemp("hardening"))


def chosen_config_cases():
    if FULL:
        return CONFIG_CASES
    return random.Random(20261201).sample(CONFIG_CASES, 8)  # a seeded subset in CI


@pytest.mark.parametrize("case", chosen_config_cases(), ids=lambda c: f"{c[0]}:{c[2].strip()[:40]}")
def test_bad_config_stops_the_dry_run(repo, case):
    name, old, new, named = case
    cfg = repo / "config" / f"{name}.yaml"
    text = cfg.read_text()
    assert old in text, (name, old)
    cfg.write_text(text.replace(old, new, 1))
    scale = ["--config", "scale=smoke"] if name.startswith("scales") else []
    try:
        with counted("bad workflow configs"):
            r = snakemake(repo, "-n", "all", *scale, check=False)
            out = r.stdout + r.stderr
            assert r.returncode != 0 and "Traceback (most recent call last)" not in out, out[-2000:]
            assert named in out and ("config/" in out or "--config" in out), out[-2000:]
            assert not (repo / "PWNED").exists() and not (repo.parent / "escape").exists()
    finally:
        cfg.write_text(text)


def test_targets_outside_the_grid_are_refused(repo):
    """An explicit target outside the configured grid: one line naming the wildcard, its value and the allowed
    values (Snakemake alone would only say that no rule produces it)."""
    held = 0
    targets = ["results/fig3/runs/7-7-1/ann/trained/group0.nc", "results/fig3/runs/4-2-1/ann/halftrained/group0.nc",
               "results/fig3/runs/4-2-1/ann/trained/group7.nc", "results/fig4/runs/R7_E7/group0.nc",
               "results/fig5/runs/rep/sigma0.7/group0.nc", "results/figA1/runs/4-2-1/nosuch/trained/group0.nc",
               "results/fig_ablation/runs/nosuch/group0.nc", "results/fig3/runs/4-2-1/nosuch/trained/group0.nc",
               # a model of another kin figure, and one that Fig. A1 reuses from Fig. 3 (no duplicate run)
               "results/figA1/runs/4-2-1/dPC_ideal/trained/group0.nc", "results/figA1/runs/4-2-1/dPC/trained/group0.nc"]
    for target in targets:
        r = snakemake(repo, "-n", target, check=False)
        said = [line for line in (r.stdout + r.stderr).splitlines() if line.startswith(target + ": ")]
        ok = r.returncode != 0 and len(said) == 1 and (
            ("is not in the configured grid" in said[0] and "allowed: " in said[0])
            or "the models it runs itself: errormc_hierarchical" in said[0])
        assert ok, (target, (r.stdout + r.stderr)[-1000:])
        held += ok
    record("targets outside the grid", len(targets), held)


def test_a_target_of_another_scale_says_which(repo):
    """A smoke-scale output asked for at the paper's scale (the usual slip): the line names the scale and
    the option that makes it."""
    target = "results/smoke/fig3/runs/4-2-1/ann/trained/group0.nc"
    r = snakemake(repo, "-n", target, check=False)
    assert r.returncode != 0
    assert f"{target}: an output of scale 'smoke', not of 'paper'; run with --config scale=smoke" in r.stdout + r.stderr


# --- names are data: nothing reaches the cluster's shell, nothing lands outside results/ and logs/ ------

STANDIN = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$STANDIN_LOG"
[ "$(basename "$0")" = sbatch ] && { echo "stand-in sbatch: nothing is run" >&2; exit 1; }
exit 0
"""


def standin_slurm(folder: Path) -> dict:
    """An environment whose sbatch, squeue, sacct, sinfo, scontrol and scancel log their arguments and run
    nothing (sbatch refuses every job, so a run stops after its first submissions)."""
    (folder / "bin").mkdir()
    for name in ("sbatch", "squeue", "sacct", "sinfo", "scontrol", "scancel"):
        (folder / "bin" / name).write_text(STANDIN)
        (folder / "bin" / name).chmod(0o755)
    return {**os.environ, "PATH": f"{folder / 'bin'}:{os.environ['PATH']}", "STANDIN_LOG": str(folder / "calls.log")}


def slurm_run(repo: Path, env: dict, target: str) -> tuple[subprocess.Popen, str]:
    """`snakemake --profile slurm TARGET --config scale=smoke`, stopped once sbatch was called (or after 90 s)."""
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "--profile", "slurm", target, "--config", "scale=smoke"],
                            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = Path(env["STANDIN_LOG"])
    deadline = time.monotonic() + 90
    while proc.poll() is None and time.monotonic() < deadline:
        if log.exists() and "sbatch " in log.read_text():
            proc.kill()  # a throw-away copy: its lock and scripts do not matter
            break
        time.sleep(0.5)
    out = proc.communicate(timeout=60)[0]
    return proc, out


def test_a_hostile_name_never_reaches_sbatch(tmp_path):
    """The net name ``n$(touch PWNED)`` under the slurm profile: refused at config time with one line, before
    any slurm command ran; the same profile with the unchanged config does submit (the stand-in works)."""
    (tmp_path / "repo").mkdir()
    repo = workflow_copy(tmp_path / "repo")
    env = standin_slurm(tmp_path)
    calls = Path(env["STANDIN_LOG"])
    cfg = repo / "config" / "fig3.yaml"
    text = cfg.read_text()
    with counted("hostile names under slurm"):
        cfg.write_text(text.replace("    2-1: [2, 1]", '    "n$(touch PWNED)": [2, 1]', 1))
        proc, out = slurm_run(repo, env, "fig3")
        assert proc.returncode != 0 and "fig3.nets" in out and "Traceback" not in out, out[-2000:]
        said = calls.read_text() if calls.exists() else ""
        assert "sbatch" not in said and "PWNED" not in said, said  # nothing submitted (the plugin may query)
        assert not list(tmp_path.rglob("PWNED")) and not (Path.cwd() / "PWNED").exists()
    cfg.write_text(text)  # the positive control: a valid config reaches sbatch through the same stand-in
    proc, out = slurm_run(repo, env, "results/smoke/fig3/runs/4-2-1/ann/trained/group0.nc")
    assert "sbatch --parsable" in calls.read_text(), out[-2000:]
    assert "--wrap=" in calls.read_text()


def planned_paths(output: str) -> list[str]:
    """Every path a (dry) run plans to write: outputs, logs and benchmarks of each job."""
    paths = []
    for m in re.finditer(r"^\s+(output|log|benchmark): (.+)$", output, re.M):
        paths += [p.strip().split(" (")[0] for p in m.group(2).split(", ")]
    return paths


@pytest.mark.parametrize("scale", ["smoke", "paper"])
def test_every_planned_output_lies_under_results_or_logs(scale):
    """A dry run of `all` from scratch: every file any job would write resolves inside results/ or logs/."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = workflow_copy(Path(tmp))
        r = snakemake(repo, "-n", "all", "--config", f"scale={scale}")
        paths = planned_paths(r.stdout + r.stderr)
        assert len(paths) > 100
        allowed = (repo / "results", repo / "logs")
        outside = [p for p in paths if not any((repo / p).resolve().is_relative_to(a) for a in allowed)]
        assert not outside, outside[:10]
        record("planned outputs inside results, logs", len(paths), len(paths) - len(outside))
