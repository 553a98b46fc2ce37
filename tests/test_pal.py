"""PAL's runner reproduced: every value of the PAL checkpoints (tests/data/reference/pal/checkpoints.json, made
with the unmodified PAL code), the authors' stored Fig. 3a-c records, and the command line's handling of PAL
runner files.  Floats agree to a relative 1e-9 (in practice 1e-13); seeds, counts and record steps exactly.

For 1-1-1 networks (Fig. 4ab) the angles are degenerate (arccos of 1 + rounding: NaN, 0 or 1e-7 degrees); their
weights are compared at every record instead, as the checkpoint's conventions say.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from microcircuits.params_pal import load_pal_params
from microcircuits.tasks import pal as task

from .conftest import REFERENCE

PAL = REFERENCE / "pal"
RTOL = 1e-9
BLOCK = {"WPP": "W", "BPP": "B", "WIP": "WIP", "BPI": "BPI"}


@pytest.fixture(scope="module")
def pal_checkpoints() -> dict:
    return json.loads((PAL / "checkpoints.json").read_text())


def params_of(case: dict):
    return load_pal_params(PAL / "params" / case["params_file"].split("experiments/")[-1], case["overrides"])


def flat(blocks) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(b, dtype=float)) for b in blocks])


def close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=0)


@pytest.fixture(scope="module", params=["A123", "C", "D_FA", "D_BP"])
def case(request, pal_checkpoints):
    c = pal_checkpoints[request.param]
    p = params_of(c)
    return c, p, task.run(p, c["task"], progress=False)


def test_run_length_and_seeds(case):
    c, p, run = case
    steps = c["n_integration_steps"]
    assert (p.settling_steps, p.epochs * p.dataset_size * p.steps_per_sample) == (steps["settling"], steps["training"])
    (ref,), (s,) = c["students"], run.students
    assert (s.seed, s.input_seed) == (ref["seed"], ref["input_seed"])
    assert s.net.model_type == c["model_type"]
    close(run.samples, ref["input_samples_unshuffled"])


def test_initial_state(case):
    c, _, run = case
    (ref,), (s,) = c["students"], run.students
    for name, block in BLOCK.items():
        close(flat(s.initial[block]), flat(ref["initial"][name]))
    for name in ("uP", "uI"):
        close(flat(s.initial_voltages[name]), flat(ref["initial_voltages"][name]))


def test_final_weights(case):
    c, _, run = case
    (ref,), (s,) = c["students"], run.students
    for name, block in BLOCK.items():
        close(flat(s.net.blocks(block)), flat(ref["final"][name]))


def test_every_record(case):
    c, _, run = case
    (ref,), (s,) = c["students"], run.students
    rec = s.records
    one_by_one = max(c["layers"]) == 1
    for name, series in ref["series"].items():
        steps = np.asarray(series["record_steps"])
        assert len(steps) == series["count"]
        if name == "MSE":
            recorded = rec.steps[np.isfinite(rec.mse)]
            np.testing.assert_array_equal(recorded, steps)
            close(rec.mse[np.isfinite(rec.mse)], series["records"])
            continue
        np.testing.assert_array_equal(rec.steps, steps)
        if name in BLOCK:
            close(getattr(rec, BLOCK[name]), [flat(r) for r in series["records"]])
        elif not one_by_one:
            close(s.angles[name], series["records"])


def test_teacher(case):
    c, p, run = case
    if "teacher" not in c:
        assert run.teacher is None
        return
    ref = c["teacher"]
    assert run.teacher_seed == ref["seed"]
    from microcircuits.models.pal import build
    t = build(p, run.teacher_seed, teacher=True)
    for name, block in BLOCK.items():
        close(flat(t.blocks(block)), flat(ref["initial"][name]))
    close(flat(t.voltages()[0]), flat(ref["initial_voltages"]["uP"]))
    assert run.teacher_trace.shape[0] == ref["target_count"]
    close(run.teacher_trace[:3], ref["target_first3"])
    close(run.teacher_trace[-3:], ref["target_last3"])
    close(run.teacher_targets, ref["target_per_sample"])


def test_stored_fig3abc_records():
    """The PAL authors' stored Fig. 3a-c data: its first 30 records (settling and two epochs) of seeds 123 and
    456 to 1e-9 degrees, and the first 200 update angles (two epochs' replays) to 1e-8 degrees."""
    stored = np.load(PAL / "stored_fig3abc_first.npz")
    p = load_pal_params(PAL / "params" / "Fig3abc" / "params.json", {"epochs": 2, "random_seed": [123, 456]})
    run = task.run(p, "bw_only", compare=True, progress=False)
    for i, s in enumerate(run.students):
        np.testing.assert_allclose(s.angles["angle_WPPT_BPP"], stored["angle_WPPT_BPP"][i], rtol=0, atol=1e-9)
        np.testing.assert_allclose(s.angles["angle_BPP_RHS"], stored["angle_BPP_RHS"][i], rtol=0, atol=1e-9)
        np.testing.assert_allclose(s.update_angles, stored["angle_BP"][i], rtol=0, atol=1e-8)
        close(s.net.B, s.records.B[-1])  # the replay runs on a copy: the student keeps its final weights
    # a job of the later seeds alone, told the run's first seed, gets PAL's shared input (seed 1 is stored 6th)
    p = load_pal_params(PAL / "params" / "Fig3abc" / "params.json", {"epochs": 2, "random_seed": [1], "shared_seed": 123})
    (s,) = task.run(p, "bw_only", progress=False).students
    np.testing.assert_allclose(s.angles["angle_WPPT_BPP"], stored["angle_WPPT_BPP"][5], rtol=0, atol=1e-9)


def test_feedback_aligns_without_a_teacher():
    """bw_only for 10 epochs: B turns from ~90° towards Wᵀ in every hidden area, W stays put."""
    p = load_pal_params(PAL / "params" / "Fig3abc" / "params.json", {"epochs": 10, "random_seed": [7]})
    run = task.run(p, "bw_only", progress=False)
    (s,) = run.students
    a = s.angles["angle_WPPT_BPP"]
    assert (a[9] > 80).all() and (a[-1] < a[9] - 5).all()
    close(s.net.W, flat(s.initial["W"]))


def test_kernel_state_stays_normal():
    """No subnormal number anywhere in the kernel's state after 10,000 steps of PAL learning (the high-pass of
    a padding unit's constant rate decays by 0.9 per step and would be subnormal after ~6,700 of them): each
    operation on a subnormal costs a microcode assist, and a step ten times as long."""
    p = load_pal_params(PAL / "params" / "Fig3abc" / "params.json", {"epochs": 1, "random_seed": [7]})
    (s,) = task.run(p, "bw_only", progress=False).students
    for state in (s.net.km, s.net.kv, s.net.kvi):
        tiny = (state != 0) & (np.abs(state) < np.finfo(float).tiny)
        assert not tiny.any(), np.argwhere(tiny)


def test_bp_and_fa_feedback():
    """BP keeps B = Wᵀ (angle 0) while W learns; FA keeps B at its initial value."""
    for model, check in (("BP", "transpose"), ("FA", "fixed")):
        p = load_pal_params(PAL / "params" / "Fig4ab" / model / "params.json",
                            {"epochs": 1, "random_seed": [3], "layers": [3, 4, 2], "eta_fw": [2, 0.5]})
        (s,) = task.run(p, "fw_bw", progress=False).students
        W, B = s.net.blocks("W"), s.net.blocks("B")
        if check == "transpose":  # B was set from W before this last step's update
            np.testing.assert_allclose(B[0], W[1].T, atol=1e-3)
            assert np.abs(B[0] - flat(s.initial["B"]).reshape(B[0].shape)).max() > 1e-3
        else:
            close(B[0], flat(s.initial["B"]).reshape(B[0].shape))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "microcircuits", *map(str, args)], capture_output=True, text=True)


def test_simulate_writes_the_runner_metrics(tmp_path):
    out = tmp_path / "pal.nc"
    r = cli("simulate", PAL / "params" / "Fig4ab" / "PAL" / "params.json", "--task", "fw_bw", "--epochs", "1",
            "--seed", "123", "--quiet", "--out", out)
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out) as ds:
        assert ds.attrs["task"] == "fw_bw" and ds.attrs["teacher_seed"] == 873630
        assert ds.time.attrs["units"] == "ms" and ds.sizes["time"] == 20
        for v in ("angle_WPPT_BPP", "angle_BPP_RHS", "angle_jacobians_BP", "mse", "forward_weights"):
            assert v in ds
        assert np.isnan(ds.mse.values[0, :10]).all() and np.isfinite(ds.mse.values[0, 10:]).all()
        assert "numpy" in json.loads(ds.attrs["software_versions"]) and ds.attrs["params_json"]


@pytest.mark.parametrize("args, message", [
    ((), "choose its task with --task bw_only or --task fw_bw"),
    (("--task", "bw_only", "--set", "noise_mode=\"uP_adaptive\""), "key 'noise_mode': value 'uP_adaptive' is not allowed; expected one of const"),
    (("--task", "bw_only", "--set", "dtxi=0.02"), "key 'dtxi': value 0.02 is not allowed; only dtxi = dt (0.01)"),
    (("--task", "bw_only", "--set", "mc_model=\"errormc\""), "key 'mc_model': value 'errormc' is not allowed; this key is unknown to PAL's runner files"),
    (("--task", "bw_only", "--set", "tauHPP=1"), "key 'tauHPP': value 1 is not allowed; this key is unknown to PAL's runner files (did you mean 'tauHP'?)"),
    (("--task", "bw_only", "--set", "noise_scale=[0.05]"), "key 'noise_scale': value [0.05] is not allowed; at least 3 values"),
    (("--task", "bw_only", "--set", "dWPP_r_low_pass=true"), "key 'dWPP_r_low_pass': value true is not allowed; only false is supported"),
    (("--task", "fw_bw", "--set", "settling_time=1000"), "key 'settling_time': value 1000 is not allowed; at most dataset_size x Tpres"),
])
def test_bad_pal_input_is_one_line(tmp_path, args, message):
    out = tmp_path / "x.nc"
    r = cli("simulate", PAL / "params" / "Fig3abc" / "params.json", *args, "--quiet", "--out", out)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_task_is_for_pal_files_only(tmp_path):
    from .conftest import FIG3
    r = cli("simulate", FIG3 / "4-2-1" / "errormc" / "params.json", "--task", "fw_bw", "--quiet", "--out", tmp_path / "x.nc")
    assert r.returncode == 2 and "--task fw_bw runs PAL's runner files, which have no mc_model" in r.stderr


def test_check_describes_a_pal_run():
    r = cli("check", PAL / "params" / "Fig3def" / "params.json", "--task", "bw_only", "--compare", "BP")
    assert r.returncode == 0, r.stderr
    assert "PAL runner bw_only PAL 5-20-10-20-5, 500 epochs" in r.stdout and "ok" in r.stdout


@pytest.mark.parametrize("n", [1, 2, 3, 50, 625, 4001])
def test_kernel_normals_are_numpys(n):
    """The kernel's generator (kernels/mt19937.py) draws RandomState.normal's numbers bit for bit, across the
    twist of its 624-word blocks and its cached second value, and hands the state back."""
    from microcircuits.kernels import mt19937
    rng = np.random.RandomState(123)
    rng.shuffle(np.arange(100))  # integers first, as each epoch's shuffle does
    rng.normal(size=3)  # an odd count leaves a cached value
    state = mt19937.state_of(rng)
    for _ in range(3):
        expected = rng.normal(0, 1, size=n)
        drawn = np.zeros(n)
        mt19937.fill_normal(*state, drawn, np.zeros(n + 1))
        np.testing.assert_array_equal(drawn, expected)
    other = np.random.RandomState(0)
    mt19937.restore(other, *state)
    np.testing.assert_array_equal(other.normal(size=5), rng.normal(size=5))


ORACLE_CASES = {  # name -> overrides of PAL's Fig3abc file (5-20-10-20-5 shrunk to 3-4-3-2)
    "PAL, PAL's settings": {},
    "PAL, held white noise scaled by |u|, gated decay": {"noise_type": "hold_white_noise", "noise_mode": "uP", "gate_regularizer": True},
    "PAL, noise by |u_breve|, raw rates, no low-pass": {"noise_mode": "uP_breve", "pyr_hi_pass": False, "dWPP_low_pass": False},
    "PAL, noise by |v_api|, interneuron low-pass, voltage plasticity": {"noise_mode": "vapi", "inter_low_pass": True, "dWPP_use_activation": False},
    "PAL, no prospective coding, tanh": {"taur": 0.0, "activation": "tanh"},
    "PAL, half look-ahead, soft_relu / hard_sigmoid / relu": {"taur": 0.5, "activation": ["soft_relu", "hard_sigmoid", "relu"]},
    "BP, linear": {"model_type": "BP", "activation": "linear", "eta_fw": [0.1, 0.1, 0.1]},
    "FA, logistic": {"model_type": "FA"},
}


@pytest.mark.parametrize("case", list(ORACLE_CASES))
@pytest.mark.parametrize("with_target", [True, False])
def test_kernel_step_matches_the_numpy_oracle(case, with_target):
    """300 learning steps of the kernel against tests/oracle_pal.py, every option PAL's files can switch."""
    from microcircuits.kernels import mt19937
    from microcircuits.models.pal import NO_NOISE, Records, advance, build

    from .oracle_pal import PalOracle
    overrides = {"layers": [3, 4, 3, 2], "eta_IP": [0.5, 0.5], "eta_fw": [1, 1, 1], "random_seed": [11], **ORACLE_CASES[case]}
    p = load_pal_params(PAL / "params" / "Fig3abc" / "params.json", overrides)
    net = build(p, 11)
    oracle = PalOracle(p, net, np.random.RandomState(11))
    rs = np.random.RandomState(5)
    samples, targets = rs.uniform(0, 1, (40, 3)), rs.uniform(-1, 1, (40, 2))
    order = np.repeat(np.arange(40), 10).astype(np.int64)
    rec = Records.for_run(net, 0, 1000, False)
    advance(net, 30, samples, order[:30], targets, False, NO_NOISE, (False, False, False), False, 0, rec)
    for n in range(30):
        oracle.step(samples[order[n]], None, False, False, False)
    noise = mt19937.state_of(net.rng)
    advance(net, 300, samples, order[30:330], targets, with_target, noise, (True, True, True), False, 30, rec)
    for n in range(30, 330):
        oracle.step(samples[order[n]], targets[order[n]] if with_target else None, True, True, True)
    for kind, ours in (("W", oracle.W), ("B", oracle.B), ("WIP", oracle.WIP), ("BPI", oracle.BPI)):
        np.testing.assert_allclose(flat(net.blocks(kind)), flat(ours), rtol=1e-10, atol=1e-13, err_msg=kind)
    uP, uI = net.voltages()
    np.testing.assert_allclose(flat(uP), flat(oracle.u), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(flat(uI), flat(oracle.uI), rtol=1e-10, atol=1e-13)
    if p.model_type == "PAL":
        assert np.abs(flat(net.blocks("B")) - flat(PalOracle(p, build(p, 11), np.random.RandomState(11)).B)).max() > 1e-6
