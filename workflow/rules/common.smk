"""Helpers shared by the rules: configuration checks, scales, and the figure grids expanded into jobs."""

import sys
from argparse import Namespace
from pathlib import Path

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from microcircuits.kernels import source_hash


# ---------------------------------------------------------------------------------------------------------
# configuration

CONFIG_FILES = {f: f"config/{f}.yaml" for f in ("fig2a", "fig2b", "fig3", "fig4", "fig5")}  # top-level key -> file it comes from (others: config/config.yaml)
SCHEMA = workflow.source_path("../schemas/config.schema.yaml")  # resolved relative to this file


def check_config(cfg):
    """Validate against the JSON schema with messages that name the file, the key path and the value."""
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        source = CONFIG_FILES.get(path[0], "config/config.yaml") if path else "config/config.yaml"
        where = ".".join(str(p) for p in path) or "<top level>"
        problems.append(f"{source}: {where}: {err.message}")
    if problems:
        raise WorkflowError("invalid configuration (or --config override):\n  " + "\n  ".join(problems))
    validate(cfg, SCHEMA)  # fills the schema's defaults


def scale():
    return config["scale"]


def fig_setting(fig, key):
    """A setting of figure `fig`, with the current scale's override if it has one."""
    c = config[fig]
    return c["scales"][scale()].get(key, c.get(key))


KERNEL_HASH = source_hash()
SIMULATOR_SOURCES = sorted(str(p) for p in Path("src/microcircuits").rglob("*.py"))


def warmup_flag(model):
    """Marker that the Numba kernels of a model are compiled for this version of the kernel sources."""
    return f"results/.numba/{KERNEL_HASH}/{model}.done"


# ---------------------------------------------------------------------------------------------------------
# Fig. 3: networks x models x trained/untrained x seed groups

FIG3_VARIANTS = ("trained", "untrained")
LEARNING_RATES = ("eta_fw", "eta_IP", "eta_PI")


def seed_groups(fig):
    """The seeds of a figure split into the groups that one job each runs."""
    seeds = fig_setting(fig, "seeds")
    n = fig_setting(fig, "seeds_per_job")
    return [seeds[i:i + n] for i in range(0, len(seeds), n)]


def fig3_params(wildcards):
    """The full parameter set one Fig. 3 job receives (the reference file's keys and values)."""
    c = config["fig3"]
    net, model, variant = wildcards.net, wildcards.model, wildcards.variant
    layers = c["nets"][net]
    try:
        rates = dict(c["learning_rates"][model][net])
    except KeyError:
        raise WorkflowError(f"config/fig3.yaml: learning_rates.{model}.{net}: missing; every model needs rates for every net")
    p = {**c["common"], **c["model_settings"][model]}
    p.update(layers=list(layers), error_layers=[0] + list(layers[1:]), **rates)
    p["epochs"] = fig_setting("fig3", "epochs")
    for key in ("dataset_size", "settling_time", "rec_per_steps"):
        if key in c["scales"][scale()]:
            p[key] = c["scales"][scale()][key]
    if variant == "untrained":
        p["epochs"] = 1
        for key in LEARNING_RATES:
            p[key] = [0] * len(p[key])
    p["random_seed"] = seed_groups("fig3")[int(wildcards.group)]
    record = c["record_snapshots"]
    is_errormc = model == "errormc"
    p.update(rec_WPP=record, rec_WIP=record, rec_BPI=record, rec_BII=record and is_errormc,
             rec_BPP=record and not is_errormc, rec_uP_breve=record, rec_uI_breve=record, rec_vbas=record)
    return p


def fig3_jobs():
    """Wildcard values of every Fig. 3 simulation job."""
    c = config["fig3"]
    return [dict(net=net, model=model, variant=variant, group=g)
            for net in c["nets"] for model in c["models"] for variant in FIG3_VARIANTS
            for g in range(len(seed_groups("fig3")))]


def fig3_runs():
    return [f"results/fig3/runs/{j['net']}/{j['model']}/{j['variant']}/group{j['group']}.nc" for j in fig3_jobs()]


def fig3_job_params_files():
    return [f"results/fig3/params/{j['net']}/{j['model']}/{j['variant']}/group{j['group']}.json" for j in fig3_jobs()]


def fig3_runtime(wildcards, attempt):
    """Minutes for one Fig. 3 job on a cluster node, from the per-step costs measured on a 2-core VM
    (paper scale, 10 seeds, replay included: 0.3 us per step at 3 units up to 5.1 us at 63), with headroom."""
    if scale() == "smoke" or wildcards.variant == "untrained":
        return 10 * attempt
    n_units = sum(config["fig3"]["nets"][wildcards.net])
    seeds = len(seed_groups("fig3")[int(wildcards.group)])
    steps = 4.05e6 * seeds * config["fig3"]["epochs"] / 1000
    us_per_step = 0.2 + 0.08 * n_units
    return int(attempt * (10 + 2 * steps * us_per_step * 1e-6 / 60))


# ---------------------------------------------------------------------------------------------------------
# Fig. 2: cart-pole (one job per variant, all seeds) and delayed match-to-sample (one job)


def scale_overrides(fig, p):
    """Simulator parameters the scale overrides (everything in the scale's entry but seeds and grids)."""
    p.update({k: v for k, v in config[fig]["scales"][scale()].items() if k not in ("seeds", "seeds_per_job", "n_rep", "n_err")})
    return p


def fig2a_params(wildcards):
    """The full parameter set of one Fig. 2a variant (the reference file's keys and values)."""
    c = config["fig2a"]
    p = {**c["common"], **c["variants"][wildcards.variant]["params"]}
    p["random_seed"] = list(fig_setting("fig2a", "seeds"))
    return scale_overrides("fig2a", p)


def fig2b_params(wildcards):
    p = dict(config["fig2b"]["params"])
    p["random_seed"] = list(fig_setting("fig2b", "seeds"))
    return scale_overrides("fig2b", p)


def warmup_params(wildcards):
    """A task's network settings for its warm-up (the kernels specialise on them); none for the models.
    Run lengths and seeds are left out, so a change of scale does not compile again."""
    if wildcards.model == "cartpole":
        p = fig2a_params(Namespace(variant=next(iter(config["fig2a"]["variants"]))))
    elif wildcards.model == "dms":
        p = fig2b_params(wildcards)
    elif wildcards.model == "genmnist":
        p = genmnist_params(50, 100, 0)
    else:
        return {}
    return {k: v for k, v in p.items() if k not in ("random_seed", "epochs", "dataset_size", "settling_time")}


def fig2a_runs():
    return [f"results/fig2a/runs/{v}.nc" for v in config["fig2a"]["variants"]]


def task_runtime(fig, us_per_step, steps_per_seed):
    """Minutes for a task job on a cluster node, from the measured cost per step on a 2-core VM, with headroom."""

    def runtime(wildcards, attempt):
        seeds = len(fig_setting(fig, "seeds"))
        return int(attempt * (10 + 3 * seeds * steps_per_seed * us_per_step * 1e-6 / 60))

    return runtime


# ---------------------------------------------------------------------------------------------------------
# Figs. 4 and 5: genMNIST, n_R x n_E x seed groups; heterogeneity site x sigma x seed groups


def genmnist_params(n_rep, n_err, group, extra=None):
    """A genMNIST job's parameters: Fig. 4's common set, the network's sizes, the group's seeds."""
    c = config["fig4"]
    p = scale_overrides("fig4", dict(c["common"]))
    p.update(layers=[10, n_rep, 784], error_layers=[0, n_err, 784], random_seed=list(seed_groups("fig4")[group]))
    if c.get("mnist_path"):
        p["mnist_path"] = c["mnist_path"]
    p.update(extra or {})
    return p


def fig4_params(wildcards):
    return genmnist_params(int(wildcards.n_rep), int(wildcards.n_err), int(wildcards.group))


def fig5_params(wildcards):
    c = config["fig5"]
    sigma = float(wildcards.sigma)
    spread = {key: sigma for key in c["sites"][wildcards.site]}
    p = genmnist_params(c["n_rep"], c["n_err"], int(wildcards.group), {**c["extra"], **spread})
    return {k: v for k, v in p.items() if k not in c.get("omit", [])}


def fig4_jobs():
    groups = range(len(seed_groups("fig4")))
    return [dict(n_rep=r, n_err=e, group=g) for r in fig_setting("fig4", "n_rep") for e in fig_setting("fig4", "n_err") for g in groups]


def fig4_run(n_rep, n_err, group):
    return f"results/fig4/runs/R{n_rep}_E{n_err}/group{group}.nc"


def fig5_jobs():
    c = config["fig5"]
    return [dict(site=s, sigma=sigma, group=g) for s in c["sites"] for sigma in c["sigmas"] for g in range(len(seed_groups("fig4")))]


def fig5_runs():
    return [f"results/fig5/runs/{j['site']}/sigma{j['sigma']}/group{j['group']}.nc" for j in fig5_jobs()]


def fig5_baseline_runs():
    """sigma = 0: Fig. 4's runs of the same network (the same parameters, so not run twice)."""
    c = config["fig5"]
    return [fig4_run(c["n_rep"], c["n_err"], g) for g in range(len(seed_groups("fig4")))]


def genmnist_runtime(wildcards, attempt):
    """Minutes for a genMNIST job on a cluster node, from the cost per step measured on a 2-core VM
    (benchmarks/genmnist_speed.py: 0.5 ms at 10-50-784 up to 3.4 ms at 10-1000-784 with 1000 error units,
    about 0.6 ns per weight the step touches), with headroom."""
    if scale() == "smoke":
        return 10 * attempt
    n_rep = int(getattr(wildcards, "n_rep", config["fig5"]["n_rep"]))
    n_err = int(getattr(wildcards, "n_err", config["fig5"]["n_err"]))
    epochs = config["fig4"]["scales"][scale()].get("epochs", config["fig4"]["common"]["epochs"])
    steps = (epochs + 12) * 200 * fig_setting("fig4", "seeds_per_job")
    ms_per_step = 0.6e-6 * (2 * n_rep * 794 + n_err * 784 + 2 * (n_err * n_rep + 784 * 784))
    return int(attempt * (10 + 2 * steps * ms_per_step / 1000 / 60))


# ---------------------------------------------------------------------------------------------------------
# figures and the index page

FIGURE_PAGES = {
    "fig2a": dict(title="Fig. 2a: cart-pole control", config="config/fig2a.yaml",
                  notebook="notebooks/fig2a_cartpole.ipynb", data="results/fig2a/fig2a.nc",
                  pdf="results/fig2a/fig2a.pdf", png="results/fig2a/fig2a.png",
                  html="results/fig2a/fig2a_cartpole.html"),
    "fig2b": dict(title="Fig. 2b: delayed match-to-sample", config="config/fig2b.yaml",
                  notebook="notebooks/fig2b_dms.ipynb", data="results/fig2b/fig2b.nc",
                  pdf="results/fig2b/fig2b.pdf", png="results/fig2b/fig2b.png",
                  html="results/fig2b/fig2b_dms.html"),
    "fig4": dict(title="Fig. 4: populations of representation and error units", config="config/fig4.yaml",
                 notebook="notebooks/fig4_populations.ipynb", data="results/fig4/fig4.nc",
                 pdf="results/fig4/fig4.pdf", png="results/fig4/fig4.png",
                 html="results/fig4/fig4_populations.html"),
    "fig5": dict(title="Fig. 5: activation heterogeneity in representation vs error units", config="config/fig5.yaml",
                 notebook="notebooks/fig5_noise.ipynb", data="results/fig5/fig5.nc",
                 pdf="results/fig5/fig5.pdf", png="results/fig5/fig5.png",
                 html="results/fig5/fig5_noise.html"),
    "fig3": dict(title="Fig. 3: multilayer comparison", config="config/fig3.yaml",
                 notebook="notebooks/fig3_multilayer.ipynb", data="results/fig3/fig3.nc",
                 pdf="results/fig3/fig3.pdf", png="results/fig3/fig3.png",
                 html="results/fig3/fig3_multilayer.html"),
}


FIGURE_GROUPS = {"fig2": ("fig2a", "fig2b")}  # targets that build several figures


def wanted_figures():
    """Figures named as targets on the command line (`all`, or no target: every figure)."""
    words = [w for w in sys.argv[1:] if not w.startswith("-")]
    named = [w for w in words if w in FIGURE_PAGES] + [f for w in words for f in FIGURE_GROUPS.get(w, ())]
    wanted = set(FIGURE_PAGES) if ("all" in words or not named) else set(named)
    return [f for f in FIGURE_PAGES if f in wanted]


def linked_figures():
    """Figures the index links: the wanted ones and those whose report already exists.  Only the wanted
    ones are inputs of the index, so building one figure never reruns another's (perhaps stale) jobs."""
    return [f for f in FIGURE_PAGES if f in wanted_figures() or Path(FIGURE_PAGES[f]["html"]).exists()]
