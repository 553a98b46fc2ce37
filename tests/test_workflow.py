"""The Snakemake workflow, run for real in a copy of the repository (a user's results/ is never touched)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from .conftest import FIG3, PARAMS

REPO = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "workflow", "config", "notebooks", "profiles", "envs", "src"]
NOT_COMPARED = {"random_seed", "_comment", "output"}   # seeds; comments; a stale cluster path in one file
KEPT_RECORDING = {"rec_per_steps", "rec_MSE", "rec_rate_MSE"}  # these shape the run; other rec_* do not


def workflow_copy(dest: Path) -> Path:
    for name in COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "slurm").symlink_to("profiles/slurm")
    return dest


def snakemake(cwd: Path, *args, check=True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a (dry) run."""
    table = output.split("Job stats:")[-1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m.group(1) != "total"}


SMOKE = Path("results") / "smoke"  # outputs of scale smoke (config/scales/smoke.yaml)


def assert_figure_made(repo: Path, fig: str) -> None:
    """The figure's files exist and its notebook executed without an error."""
    out = repo / SMOKE / fig
    for f in (f"{fig}.pdf", f"{fig}.png", f"{fig}.html", f"{fig}.nc"):
        assert (out / f).stat().st_size > 1000, f
    nb = json.loads((out / f"{fig}.ipynb").read_text())
    assert not nb["metadata"]["papermill"].get("exception")
    assert "data:image/png;base64," in (out / f"{fig}.html").read_text()  # the rendered page shows the figure
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return workflow_copy(tmp_path_factory.mktemp("workflow"))


def test_lint_is_clean(repo):
    r = snakemake(repo, "--lint")
    assert "Congratulations, your workflow is in a good condition" in r.stdout + r.stderr


@pytest.mark.parametrize("profile", [[], ["--profile", "slurm"]], ids=["local", "slurm"])
def test_dry_run_of_all(repo, profile):
    r = snakemake(repo, "-n", "all", "--forceall", *profile)
    counts = job_counts(r.stdout)
    assert counts["fig3_simulate"] == 40 and counts["notebook"] == 5
    assert counts["fig2a_simulate"] == 2 and counts["fig2b_simulate"] == 1
    assert counts["fig4_simulate"] == 160 and counts["fig5_simulate"] == 80  # sigma = 0 comes from Fig. 4
    assert counts["numba_warmup"] == 7  # four models, the cart-pole loop, DMS and genMNIST
    if profile:
        assert "Group job fig3_sims" in r.stdout


def test_a_new_figure_is_four_files(tmp_path):
    """docs/extending.md: a figure is a registry entry, a config file, a rule module and a notebook.  A copy
    of Fig. 2b under a new name, made of exactly those four, plans its jobs and its notebook."""
    repo = workflow_copy(tmp_path)
    (repo / "config" / "figZ.yaml").write_text((repo / "config" / "fig2b.yaml").read_text().replace("fig2b:", "figZ:"))
    module = (repo / "workflow" / "rules" / "fig2b.smk").read_text()
    (repo / "workflow" / "rules" / "figZ.smk").write_text(module.replace("FIG2B", "FIGZ").replace("fig2b", "figZ"))
    shutil.copy(repo / "notebooks" / "fig2b_dms.ipynb", repo / "notebooks" / "figZ_copy.ipynb")
    registry = yaml.safe_load((repo / "workflow" / "figures.yaml").read_text())
    registry["figures"]["figZ"] = dict(title="Fig. Z", notebook="notebooks/figZ_copy.ipynb", caption="A copy.")
    (repo / "workflow" / "figures.yaml").write_text(yaml.safe_dump(registry))
    counts = job_counts(snakemake(repo, "-n", "figZ", "--config", "scale=smoke").stdout)
    assert counts == {"figZ_job_params": 1, "numba_warmup": 1, "figZ_simulate": 1, "notebook": 1, "figZ": 1}
    assert "figZ_simulate" in job_counts(snakemake(repo, "-n", "all", "--config", "scale=smoke").stdout)


@pytest.mark.parametrize("name", ["n$(touch PWNED)", "../../escape", "..", "a b"])
def test_names_that_are_not_plain_are_refused(repo, name):
    """A net name becomes part of paths and of cluster job commands: anything but letters, digits, '_', '.',
    '-' (not starting with '.') is refused when the config is read, before any job is planned."""
    cfg_file = repo / "config" / "fig3.yaml"
    text = cfg_file.read_text()
    cfg_file.write_text(text.replace("    2-1: [2, 1]", f"    {json.dumps(name)}: [2, 1]"))
    try:
        r = snakemake(repo, "-n", "fig3", check=False)
    finally:
        cfg_file.write_text(text)
    assert r.returncode != 0 and "config/fig3.yaml: fig3.nets" in r.stdout + r.stderr and "does not match" in r.stdout + r.stderr
    assert not (repo / "PWNED").exists() and not (repo.parent / "escape").exists()


def test_config_errors_are_readable(repo):
    r = snakemake(repo, "-n", "fig3", "--config", "scale=huge", check=False)
    assert r.returncode != 0
    assert "--config: scale: 'huge' is not one of ['paper', 'smoke']" in r.stdout + r.stderr
    cfg_file = repo / "config" / "fig3.yaml"
    text = cfg_file.read_text()
    cfg_file.write_text(text.replace("  seeds_per_job: 10", "  seeds_per_job: 0"))
    try:
        r = snakemake(repo, "-n", "fig3", check=False)
    finally:
        cfg_file.write_text(text)
    assert r.returncode != 0
    assert "config/fig3.yaml: fig3.seeds_per_job: 0 is less than the minimum of 1" in r.stdout + r.stderr


FIG3_VARIANTS = ("trained", "untrained")
SIZES = [50, 100, 500, 1000]
SIGMAS = ["0.1", "0.3", "0.5", "1.0"]
ERROR_KEYS = {"error_activation_slope_std": "activation_slope_std", "error_activation_offset_std": "activation_offset_std"}


def reference_files(repo: Path) -> dict[str, Path]:
    """Job parameter file (paper scale, first seed group) -> the reference file it must equal."""
    cfg = yaml.safe_load((repo / "config" / "fig3.yaml").read_text())["fig3"]
    out = {f"results/fig3/params/{net}/{model}/{variant}/group0.json":
           FIG3 / net / (model if variant == "trained" else f"untrained_{model}") / "params.json"
           for net in cfg["nets"] for model in cfg["models"] for variant in FIG3_VARIANTS}
    out.update({f"results/fig2a/params/{v}.json": PARAMS / f"Fig2a_cartpole_{v}_emc" / "params_errormc.json"
                for v in ("ideal", "tanh")})
    out.update({f"results/fig4/params/R{r}_E{e}/group0.json": PARAMS / "Fig4_populations" / "runs" / f"lr{10 * (4 * i + j)}" / "params.json"
                for i, r in enumerate(SIZES) for j, e in enumerate(SIZES)})
    for b, sigma in enumerate(SIGMAS):
        for site, folder in (("rep", "Fig5_rep_unit_noise"), ("error", "Fig5_error_unit_noise")):
            out[f"results/fig5/params/{site}/sigma{sigma}/group0.json"] = PARAMS / folder / "runs" / f"lr{10 * b}" / "params.json"
    return out


@pytest.fixture(scope="module")
def job_params(repo) -> dict[str, Path]:
    """Every job parameter file that has a reference counterpart, built in one run."""
    files = reference_files(repo)
    snakemake(repo, "--cores", "2", *files)
    return files


def assert_same_parameters(repo: Path, files: dict[str, Path], rename: dict | None = None, kept=KEPT_RECORDING):
    for target, ref_file in files.items():
        job = json.loads((repo / target).read_text())
        job = {(rename or {}).get(k, k): v for k, v in job.items()}
        ref = json.loads(ref_file.read_text())
        compared = lambda d: {k: v for k, v in d.items()  # noqa: E731
                              if k not in NOT_COMPARED and (not k.startswith("rec_") or k in kept)}
        assert compared(job) == compared(ref), f"{target} differs from {ref_file}"
        assert job["random_seed"] == ref["random_seed"]


def test_every_job_gets_the_reference_parameters(repo, job_params):
    """config/fig3.yaml expresses the reference's 40 files once: each job's parameters equal its file."""
    assert_same_parameters(repo, {k: v for k, v in job_params.items() if "/fig3/" in k})


def test_fig2a_jobs_get_the_reference_parameters(repo, job_params):
    """config/fig2a.yaml expresses the reference's two files once: each variant's job gets its file."""
    assert_same_parameters(repo, {k: v for k, v in job_params.items() if "/fig2a/" in k}, kept=KEPT_RECORDING | {"rec_WPP"})


def test_fig4_and_fig5_jobs_get_the_reference_parameters(repo, job_params):
    """Fig. 4: seed 0 of every (n_R, n_E) against runs/lr{10 b}; Fig. 5 against the heterogeneity runs,
    whose error-unit files name the representation-unit keys (the reference's code, docs/deviations.md)."""
    assert_same_parameters(repo, {k: v for k, v in job_params.items() if "/fig4/" in k or "/fig5/" in k}, rename=ERROR_KEYS)


@pytest.fixture(scope="module")
def smoke(repo) -> Path:
    """Every figure at smoke scale, in one run (one DAG keeps both cores busy)."""
    snakemake(repo, "--cores", "2", "all", "--config", "scale=smoke")
    return repo


def test_smoke_fig2_makes_both_figures(smoke):
    repo = smoke
    assert_figure_made(repo, "fig2a")
    assert_figure_made(repo, "fig2b")
    ds = xr.open_dataset(repo / SMOKE / "fig2a" / "fig2a.nc")
    assert ds.failures.dims == ("variant", "seed", "test") and list(ds.variant.values) == ["ideal", "tanh"]
    assert ds.sizes["seed"] == 3 and ds.sizes["test"] == 3 and ds.attrs["scale"] == "smoke"
    assert ds.teacher_penalty.dims == ("variant", "cp_step")
    dms = xr.open_dataset(repo / SMOKE / "fig2b" / "fig2b.nc")
    assert dms.mse_val.dims == ("seed", "epoch", "val_trial") and dms.attrs["scale"] == "smoke"
    index = (repo / SMOKE / "index.html").read_text()
    assert 'href="fig2a/fig2a.html"' in index and 'src="fig2b/fig2b.png"' in index
    assert not (repo / "results" / "fig2a" / "fig2a.nc").exists()  # smoke outputs never land among the paper's


def test_smoke_fig4_fig5_make_their_figures(smoke):
    repo = smoke
    assert_figure_made(repo, "fig4")
    assert_figure_made(repo, "fig5")
    ds = xr.open_dataset(repo / SMOKE / "fig4" / "fig4.nc")
    assert ds.test_loss.dims == ("n_rep", "n_err", "seed") and ds.test_loss.shape == (2, 2, 2)  # smoke: the corners
    assert ds.reconstruction.dims == ("n_rep", "n_err", "seed", "digit", "pixel")
    f5 = xr.open_dataset(repo / SMOKE / "fig5" / "fig5.nc")
    assert list(f5.sigma.values) == [0.0, 0.1, 0.3, 0.5, 1.0] and set(f5.site.values) == {"rep", "error"}
    baseline = ds.test_loss.sel(n_rep=1000, n_err=1000).values
    np.testing.assert_array_equal(f5.test_loss.sel(site="rep", sigma=0.0).values, baseline)  # reused, not rerun
    assert (f5.err_slope_std.sel(site="rep").values == 0).all() and (f5.err_slope_std.sel(site="error", sigma=1.0).values > 0.5).all()
    # heterogeneous error units corrupt the learning signal: far worse than the same spread on representation units
    assert (f5.test_loss.sel(site="error", sigma=1.0).values > 1.5 * f5.test_loss.sel(site="rep", sigma=1.0).values).all()




def test_smoke_fig3_makes_the_figure(smoke):
    assert_figure_made(smoke, "fig3")
    ds = xr.open_dataset(smoke / SMOKE / "fig3" / "fig3.nc")
    assert dict(ds.test_loss.sizes) == {"net": 5, "model": 4, "variant": 2, "seed": 2}
    assert ds.angle_dw_bp.dims == ("net", "model", "variant", "seed", "area")
    assert (ds.angle_dw_bp.sel(model="ann", variant="trained").fillna(0) == 0).all()
    assert list(ds.model_label.values) == ["ANN", "error MC", "dendritic hPC", "Sacramento et al. 2018"]
    index = (smoke / SMOKE / "index.html").read_text()
    assert 'href="fig3/fig3.html"' in index and 'src="fig3/fig3.png"' in index
    assert "git revision" in index and "eta_fw" in index


def test_outputs_speak_one_vocabulary(smoke):
    """Every run and figure file: a long_name on every variable and coordinate, UDUNITS units, the same
    dimension names everywhere, and a history that grows with every step that made the file."""
    cf_units = pytest.importorskip("cf_units")
    files = sorted((smoke / SMOKE).rglob("*.nc"))
    assert len(files) > 40
    for f in files:
        with xr.open_dataset(f) as ds:
            for name, var in {**ds.coords, **ds.data_vars}.items():
                assert "long_name" in var.attrs, f"{f.relative_to(smoke)}: {name} has no long_name"
                if "units" in var.attrs:
                    cf_units.Unit(var.attrs["units"])  # raises on anything UDUNITS cannot parse
            assert not {"err_unit", "steps"} & set(ds.dims)
            assert "Conventions" not in ds.attrs  # see io/netcdf.py: CF's attributes, no CF version claimed
    with xr.open_dataset(smoke / SMOKE / "fig3" / "fig3.nc") as ds:
        history = ds.attrs["history"].splitlines()
        assert "snakemake fig3_aggregate" in history[0] and any("microcircuits simulate" in h for h in history[1:])


def test_changed_parameter_reruns_exactly_its_jobs(smoke):
    cfg_file = smoke / "config" / "fig3.yaml"
    text = cfg_file.read_text()
    assert "      4-2-1: {eta_fw: [2, 0.2]," in text
    cfg_file.write_text(text.replace("      4-2-1: {eta_fw: [2, 0.2],", "      4-2-1: {eta_fw: [2, 0.3],"))
    try:
        counts = job_counts(snakemake(smoke, "-n", "fig3", "--config", "scale=smoke").stdout)
    finally:
        cfg_file.write_text(text)
    # the trained errormc and ann 4-2-1 jobs (both have eta_fw [2, 0.2]); untrained ones have zeros anyway
    assert counts["fig3_job_params"] == 2 and counts["fig3_simulate"] == 2
    assert counts["fig3_aggregate"] == 1 and counts["notebook"] == 1


def test_code_change_reruns_the_simulations(smoke):
    kernel = smoke / "src" / "microcircuits" / "kernels" / "errormc.py"
    kernel.write_text(kernel.read_text() + "\n# edited\n")
    counts = job_counts(snakemake(smoke, "-n", "fig3", "--config", "scale=smoke").stdout)
    assert counts["fig3_simulate"] == 40 and counts["numba_warmup"] == 4


def test_snakemake_report(smoke):
    snakemake(smoke, "--report", "report.zip", "fig3", "--config", "scale=smoke")
    import zipfile
    names = zipfile.ZipFile(smoke / "report.zip").namelist()
    assert any(n.endswith("fig3.png") for n in names) and any(n.endswith("fig3.html") for n in names)
