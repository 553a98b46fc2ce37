"""The command line and its output: a NetCDF file a colleague can open, clear errors, no partial files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from microcircuits.cli import main
from microcircuits.io.netcdf import write_netcdf

from .conftest import FIG3

ERRORMC = FIG3 / "4-2-1" / "errormc" / "params.json"
SMALL = ["--set", "dataset_size=5", "--set", "settling_time=0.5", "--set", "rec_per_steps=50"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run.nc"
    code = main(["simulate", str(ERRORMC), "--out", str(out), "--seed", "56789", "12345", "--epochs", "2",
                 "--compare", "bp", "--quiet", *SMALL])
    assert code == 0
    return out


def test_output_opens_with_xarray(written):
    ds = xr.open_dataset(written)
    assert ds.test_mse.dims == ("seed", "test_step")
    assert list(ds.seed.values) == [56789, 12345]
    assert ds.angle_dw_bp.dims == ("seed", "replay_sample", "area")
    assert ds.forward_weights.dims == ("seed", "snapshot", "rep_unit", "unit")
    assert ds.snapshot_phase.values[0] == "init"
    for name, var in ds.data_vars.items():
        assert "long_name" in var.attrs and "units" in var.attrs, name
    assert ds.angle_dw_bp.attrs["units"] == "degree"
    np.testing.assert_allclose(ds.test_loss.values, ds.test_mse.isel(test_step=slice(10, None)).mean("test_step").values)


def test_output_records_parameters_and_provenance(written):
    ds = xr.open_dataset(written)
    params = json.loads(ds.attrs["params_json"])
    assert params["random_seed"] == [56789, 12345] and params["epochs"] == 2 and params["dataset_size"] == 5
    assert params["mc_model"] == "errormc"
    for key in ("microcircuits_version", "git_revision", "numpy_version", "numba_version", "xarray_version",
                "kernel_source_hash", "history"):
        assert ds.attrs[key], key
    assert ds.attrs["threads"] >= 1


def test_snapshots_only_where_the_flags_ask(tmp_path):
    """The replay keeps the weights it needs in memory; the file holds only the series the rec_* flags ask for."""
    out = tmp_path / "x.nc"
    flags = [f"--set=rec_{k}=false" for k in ("WPP", "BII", "WIP", "BPI", "uP_breve", "uI_breve", "vbas")]
    assert main(["simulate", str(ERRORMC), "--out", str(out), "--seed", "1", "--epochs", "2", "--compare", "bp",
                 "--quiet", *SMALL, *flags]) == 0
    ds = xr.open_dataset(out)
    assert "angle_dw_bp" in ds and "snapshot_mse" in ds
    assert not {"forward_weights", "feedback_weights", "lateral_weights_ip", "lateral_weights_pi", "u_breve"} & set(ds)


def test_open_run_reads_a_run_back(written):
    """io.open_run: the dataset in memory, its parameters as a dict; the angle means as Fig. 3 takes them."""
    from microcircuits.io import open_run
    ds = open_run(written)
    assert ds.attrs["params"]["random_seed"] == [56789, 12345]
    expect = ds.angle_dw_bp.fillna(0.0).mean("replay_sample")
    np.testing.assert_array_equal(ds.angle_dw_bp_mean.values, expect.values)
    assert ds.angle_dw_bp_snapshot.dims == ("seed", "snapshot", "area")
    np.testing.assert_array_equal(ds.val_loss.values, ds.val_mse.mean("val_step").values)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "microcircuits", *args], capture_output=True, text=True)


def test_bad_value_exits_2_with_one_line_and_no_output(tmp_path):
    out = tmp_path / "x.nc"
    r = run_cli("simulate", str(ERRORMC), "--out", str(out), "--set", "dt=-1")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert str(ERRORMC) in r.stderr and "'dt'" in r.stderr and "-1" in r.stderr and "> 0" in r.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("n", ["0", "999"])
def test_bad_thread_count_exits_2(tmp_path, n):
    r = run_cli("simulate", str(ERRORMC), "--out", str(tmp_path / "x.nc"), "--threads", n)
    assert r.returncode == 2 and "'--threads'" in r.stderr and n in r.stderr and "from 1 to" in r.stderr
    assert not list(tmp_path.iterdir())


def test_missing_file_and_bad_output_name(tmp_path):
    """One line each, exit 2, nothing written: a missing file, a bad name, a folder that is not there, a folder."""
    cases = {
        (str(tmp_path / "nope.json"), str(tmp_path / "x.nc")): "nope.json: no such parameter file",
        (str(ERRORMC), str(tmp_path / "x.txt")): "expected a file name ending in .nc",
        (str(ERRORMC), str(tmp_path / "no" / "such" / "x.nc")): "does not exist (create it first)",
        (str(ERRORMC), str(tmp_path)): "expected a file name ending in .nc",
    }
    (tmp_path / "d.nc").mkdir()
    cases[(str(ERRORMC), str(tmp_path / "d.nc"))] = "is a directory"
    for (params, out), message in cases.items():
        r = run_cli("simulate", params, "--out", out)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.nc"]


def test_unknown_key_suggests_the_known_one(tmp_path):
    r = run_cli("simulate", str(ERRORMC), "--out", str(tmp_path / "x.nc"), "--set", "Tpress=0.2")
    assert r.returncode == 2 and "key 'Tpress'" in r.stderr and "did you mean 'Tpres'?" in r.stderr


def test_keys_into_a_closed_pipe_ends_quietly():
    r = subprocess.run(f"{sys.executable} -m microcircuits keys | head -2", shell=True, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.count("\n") == 2 and "Traceback" not in r.stderr and "Error" not in r.stderr


def test_check_and_keys():
    r = run_cli("check", str(ERRORMC))
    assert r.returncode == 0 and "errormc 4-2-1" in r.stdout
    r = run_cli("keys")
    assert r.returncode == 0 and "| `eta_fw` |" in r.stdout


def test_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "keep.nc"
    write_netcdf(xr.Dataset({"a": ("x", np.arange(3.0))}), out)
    bad = xr.Dataset({"a": ("x", np.arange(3.0))}, attrs={"bad": {"nested": "dict"}})  # not storable
    with pytest.raises(TypeError, match="Invalid value for attr 'bad'"):
        write_netcdf(bad, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.nc"]
    assert xr.open_dataset(out).a.size == 3


CARTPOLE = FIG3.parent / "Fig2a_cartpole_tanh_emc" / "params_errormc.json"


def test_cartpole_run_to_netcdf(tmp_path):
    out = tmp_path / "cartpole.nc"
    assert main(["simulate", str(CARTPOLE), "--out", str(out), "--seed", "56789", "12345", "--epochs", "1",
                 "--set", "dataset_size=20", "--attr", "scale=test", "--quiet"]) == 0
    ds = xr.open_dataset(out)
    assert ds.failures.dims == ("seed", "test") and ds.sizes["test"] == 2
    assert ds.penalty.dtype == np.int8 and ds.sizes["cp_step"] == 19_999
    np.testing.assert_array_equal(ds.failures.values, ds.penalty.isel(cp_step=slice(1, None)).sum("cp_step").values)
    assert ds.teacher_state.dims == ("state_step", "var") and list(ds["var"].values)[2] == "theta"
    assert ds.attrs["scale"] == "test" and ds.attrs["target_rescale_factor"] == 76.6
    for name, var in ds.data_vars.items():  # plant states: one unit per state variable (var_units)
        assert "long_name" in var.attrs and ("units" in var.attrs or "var" in var.dims), name
    assert list(ds.var_units.values) == ["m", "m s-1", "rad", "rad s-1"]


def test_dms_run_to_netcdf(tmp_path):
    params = tmp_path / "dms.yaml"
    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "fig2b.yaml").read_text())["fig2b"]
    params.write_text(yaml.safe_dump({**cfg["params"], "dataset_size": 3, "epochs": 2}))
    out = tmp_path / "dms.nc"
    assert main(["simulate", str(params), "--out", str(out), "--seed", "7", "8", "--quiet"]) == 0
    ds = xr.open_dataset(out)
    assert ds.mse_val.dims == ("seed", "epoch", "val_trial") and ds.mse_val.shape == (2, 2, 3)
    assert ds.mse_test.shape == (2, 3)
    assert list(ds.example.values) == ["match", "non-match"] and ds.example_rate_hidden.sizes["hidden_unit"] == 2
    assert main(["simulate", str(params), "--out", str(tmp_path / "x.nc"), "--seed", "7", "--compare", "bp"]) == 2
    assert not (tmp_path / "x.nc").exists()
