"""The Snakemake workflow run for real at smoke scale in a copy of the repository (a user's results/ is never
touched): every figure, its data, reports, source data and index, in a real headless browser too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from .browser import Browser, broken_local_links, chromium
from .workflow_support import SMOKE, assert_figure_made, job_counts, snakemake, workflow_copy


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return workflow_copy(tmp_path_factory.mktemp("workflow"))


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


def test_smoke_reconstructed_figures_reuse_fig3(smoke):
    """Figs. A1, A2, C1 are Fig. 3 with other models: the reused models are Fig. 3's numbers (not rerun), the
    new ones ran with their settings on top of Fig. 3's parameters."""
    with xr.open_dataset(smoke / SMOKE / "fig3" / "fig3.nc") as f3:
        fig3 = f3.load()
    expected = {"figA1": (["ann", "errormc_hierarchical", "dPC", "sacramento2018"], ["ann", "dPC", "sacramento2018"]),
                "figA2": (["ann", "errormc", "dPC_ideal", "sacramento2018_ideal"], ["ann", "errormc"]),
                "figC1": (["dPC", "dPC_nonlinear", "dPC_nonlinear_US"], ["dPC"])}
    for fig, (models, reused) in expected.items():
        assert_figure_made(smoke, fig)
        with xr.open_dataset(smoke / SMOKE / fig / f"{fig}.nc") as ds:
            assert list(ds.model.values) == models and dict(ds.test_loss.sizes) == {"net": 5, "model": len(models), "variant": 2, "seed": 2}
            for m in reused:
                np.testing.assert_array_equal(ds.test_loss.sel(model=m).values, fig3.test_loss.sel(model=m).values)
            assert np.isfinite(ds.test_loss.values).all()
        for m in reused:  # no run of a reused model under the figure's own runs
            assert not list((smoke / SMOKE / fig / "runs").glob(f"*/{m}/*")), (fig, m)
    job = json.loads((smoke / SMOKE / "figA1" / "params" / "4-2-1" / "errormc_hierarchical" / "trained" / "group0.json").read_text())
    assert (job["fw_connection_mode"], job["bw_connection_mode"], job["init_realistic_connectivity"]) == ("layered", "layered", False)
    job = json.loads((smoke / SMOKE / "figA2" / "params" / "4-2-1" / "dPC_ideal" / "untrained" / "group0.json").read_text())
    assert job["lateral_sps_reset"] is True and job["eta_fw"] == [0, 0] and job["mc_model"] == "dPC"


def test_smoke_fig8_estimates_phi_prime(smoke):
    assert_figure_made(smoke, "fig8")
    with xr.open_dataset(smoke / SMOKE / "fig8" / "fig8.nc") as ds:
        assert ds.estimate_normalised.dims == ("act", "sigma", "level") and ds.phi_prime.dims == ("act", "level")
        assert list(ds.act.values) == ["tanh", "relu", "logistic"] and ds.attrs["scale"] == "smoke"


def test_smoke_ablation_removes_the_block_for_good(smoke):
    """The ablation figure: before the ablation both networks learn; after it the hierarchical network's output
    area has no input left (its loss is that of an output at rest, the same for every later validation), while
    the visual-cortex network keeps its skip path and its loss moves again."""
    assert_figure_made(smoke, "fig_ablation")
    with xr.open_dataset(smoke / SMOKE / "fig_ablation" / "fig_ablation.nc") as ds:
        assert list(ds.connectivity.values) == ["hierarchical", "visual_cortex"] and ds.sizes["seed"] == 2
        after = ds.val_epoch.values + 1 > ds.attrs["ablate_after_epoch"]
        v = ds.val_loss
        assert (v.isel(val_pass=4) < v.isel(val_pass=0)).all()  # learning before the ablation
        assert (v.isel(val_pass=5) > v.isel(val_pass=4)).all()  # the lesion hurts
        hier = v.sel(connectivity="hierarchical").values[:, after]
        # nothing reaches the output any more: every later validation gives the loss of an output at rest
        np.testing.assert_allclose(hier, np.broadcast_to(hier[:, :1], hier.shape), rtol=1e-12)
        vc = v.sel(connectivity="visual_cortex").values[:, after]
        assert (np.diff(vc, axis=1) != 0).all()
    job = json.loads((smoke / SMOKE / "fig_ablation" / "params" / "visual_cortex" / "group0.json").read_text())
    assert job["fw_connection_mode"] == "skip" and job["ablate_block"] == [3, 2] and job["activation"] == "logistic"


def test_smoke_pal_figures(smoke):
    """PAL's three figures: their grids, the replay's update angles, and the seeds of a cell of its own."""
    for fig in ("pal_fig3", "pal_fig4", "pal_figS3"):
        assert_figure_made(smoke, fig)
    f3 = xr.open_dataset(smoke / SMOKE / "pal_fig3" / "pal_fig3.nc")
    assert f3.angle_WPPT_BPP.dims == ("regime", "seed", "time", "hidden_area")
    assert set(f3.regime.values) == {"near-linear", "saturating"} and f3.time.attrs["units"] == "ms"
    assert set(f3.seed.values) == {123, 456, 999}  # the saturating regime's seeds are Fig3def's
    assert np.isnan(f3.angle_WPPT_BPP.sel(regime="near-linear", seed=999)).all()
    assert f3.angle_dw_bp.sizes["replay_sample"] == 200 and np.isfinite(f3.angle_dw_bp.sel(regime="near-linear", seed=123)).all()
    f4 = xr.open_dataset(smoke / SMOKE / "pal_fig4" / "pal_fig4.nc")
    assert list(f4.model.values) == ["BP", "FA", "PAL"] and f4.feedback_weights.dims[-1] == "feedback_synapse"
    s3 = xr.open_dataset(smoke / SMOKE / "pal_figS3" / "pal_figS3.nc")
    assert list(s3.tau_xi.values) == [0.1, 1.0, 10.0] and set(s3.coding.values) == {"plain", "prospective"}


@pytest.mark.parametrize("fig, cell, pal_file", [
    ("pal_fig3", "linear", "Fig3abc"), ("pal_fig3", "nonlinear", "Fig3def"),
    ("pal_fig4", "BP", "Fig4ab/BP"), ("pal_fig4", "FA", "Fig4ab/FA"), ("pal_fig4", "PAL", "Fig4ab/PAL"),
    ("pal_figS3", "tauxi0.1_plain", "Fig6/tauxi10_rescale_lr/u"),
    ("pal_figS3", "tauxi1_prospective", "Fig6/tauxi100_rescale_lr/prosp_u"),
    ("pal_figS3", "tauxi10_plain", "Fig6/tauxi1000_rescale_lr/u"),
])
def test_pal_jobs_get_pal_files(repo, fig, cell, pal_file):
    """At the paper's scale, the jobs of a PAL cell together get PAL's parameter file, key for key."""
    folder = repo / "results" / fig / "params" / cell
    targets = [f"results/{fig}/params/{cell}/group{g}.json" for g in (0, 1)]
    snakemake(repo, "--cores", "1", *targets)
    jobs = [json.loads((folder / f"group{g}.json").read_text()) for g in (0, 1)]
    expected = json.loads((Path(__file__).parent / "data" / "reference" / "pal" / "params" / pal_file / "params.json").read_text())
    expected.pop("_comment", None)
    seeds = expected.pop("random_seed")
    assert jobs[0]["random_seed"] + jobs[1]["random_seed"] == seeds
    for job in jobs:
        job.pop("random_seed")
        assert job.pop("shared_seed") == seeds[0]  # every job's input and teacher: those of PAL's one run
        assert job == expected


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


def test_every_panel_has_its_source_data(smoke):
    registry = yaml.safe_load((smoke / "workflow" / "figures.yaml").read_text())["figures"]
    index = (smoke / SMOKE / "index.html").read_text()
    for fig, entry in registry.items():
        assert entry["panels"], fig
        for panel in entry["panels"]:
            csv = smoke / SMOKE / fig / "source_data" / f"{fig}_{panel}.csv"
            lines = csv.read_text().splitlines()
            assert len(lines) > 2 and "," in lines[0], csv  # a header and values
            assert f'href="{fig}/source_data/{fig}_{panel}.csv"' in index
        assert sorted(p.stem for p in (smoke / SMOKE / fig / "source_data").glob("*.csv")) == \
            sorted(f"{fig}_{p}" for p in entry["panels"])


def test_smoke_comparison_page_says_there_is_nothing_to_compare(smoke):
    page = (smoke / SMOKE / "comparison.html").read_text()
    assert page.count("no comparison with the published figure is meaningful") == 2  # Fig. 3 and Fig. 4
    assert 'href="comparison.html"' in (smoke / SMOKE / "index.html").read_text()


def test_reports_in_a_real_browser(smoke):
    """The index, the comparison page and every report, loaded by headless chromium: every image loads
    (natural width > 0), every local link names a file, every report shows a figure first."""
    exe = chromium()
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it when CI=true)")
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it when CI=true)")
    registry = yaml.safe_load((smoke / "workflow" / "figures.yaml").read_text())["figures"]
    pages = [smoke / SMOKE / "index.html", smoke / SMOKE / "comparison.html"]
    pages += [smoke / SMOKE / fig / f"{fig}.html" for fig in registry]
    with Browser(exe) as browser:
        for page in pages:
            facts = browser.page_facts(page.as_uri())
            assert facts["images"] or page.name == "comparison.html", f"{page.name} shows no image"  # smoke: no comparison
            assert all(img["width"] > 0 for img in facts["images"]), f"{page.name}: an image did not load: {facts['images']}"
            assert not broken_local_links(page, facts["links"]), f"{page.name}: broken links"
            if page.stem in registry:
                assert facts["title"] == registry[page.stem]["title"]


def test_snakemake_report(smoke):
    snakemake(smoke, "--report", "report.zip", "fig3", "--config", "scale=smoke")
    import zipfile
    names = zipfile.ZipFile(smoke / "report.zip").namelist()
    assert any(n.endswith("fig3.png") for n in names) and any(n.endswith("fig3.html") for n in names)
