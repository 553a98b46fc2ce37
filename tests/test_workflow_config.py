"""The Snakemake workflow's configuration, planned for real in a copy of the repository: lint, dry runs, the
figure registry, checks of bad configs, and every job's parameters against the reference's files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import FIG3, PARAMS
from .workflow_support import job_counts, snakemake, workflow_copy

NOT_COMPARED = {"random_seed", "_comment", "output"}   # seeds; comments; a stale cluster path in one file
KEPT_RECORDING = {"rec_per_steps", "rec_MSE", "rec_rate_MSE"}  # these shape the run; other rec_* do not


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
    assert counts["fig3_simulate"] == 40 and counts["notebook"] == 13
    assert counts["fig_ablation_simulate"] == 20  # two connectivities x ten seeds
    assert counts["kin_simulate"] == 10 + 20 + 20  # A1: errormc; A2: dPC, Sacramento; C1: two dPC variants
    assert counts["kin_aggregate"] == 3 and counts["fig8_transfer"] == 1
    assert counts["fig2a_simulate"] == 2 and counts["fig2b_simulate"] == 1
    assert counts["fig4_simulate"] == 160 and counts["fig5_simulate"] == 80  # sigma = 0 comes from Fig. 4
    assert counts["numba_warmup"] == 10  # four models, the cart-pole loop, DMS, genMNIST, its two ablation networks, PAL
    # PAL: Fig. 3's two regimes, Fig. 4's three models, SI Fig. 3's six cells, two seed groups of five each
    assert counts["pal_simulate"] == 2 * 2 + 3 * 2 + 6 * 2 and counts["pal_aggregate"] == 3
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


def test_command_line_values_are_typed_as_yaml_types_them(repo):
    """`--config 'fig3={"epochs": 50}'`: Snakemake hands nested values over as strings; they arrive typed, and
    a value that is still wrong is blamed on the command line, not on the file."""
    r = snakemake(repo, "-n", "fig3", "--config", 'fig3={"epochs": 50, "seeds": [1, 2]}', "scale=smoke")
    assert job_counts(r.stdout)["fig3_simulate"] == 40
    r = snakemake(repo, "-n", "fig3", "--config", 'fig3={"epochs": 0, "seeds": [1, 2]}', check=False)
    assert r.returncode != 0 and "--config: fig3.epochs: 0 is less than the minimum of 1" in r.stdout + r.stderr


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
