"""Helpers shared by the rules: configuration checks, scales, and the figure grids expanded into jobs."""

import sys
from pathlib import Path

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from microcircuits.kernels import source_hash


# ---------------------------------------------------------------------------------------------------------
# configuration

CONFIG_FILES = {"fig3": "config/fig3.yaml"}  # top-level key -> file it comes from (others: config/config.yaml)
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


KERNEL_HASH = source_hash()
SIMULATOR_SOURCES = sorted(str(p) for p in Path("src/microcircuits").rglob("*.py"))


def warmup_flag(model):
    """Marker that the Numba kernels of a model are compiled for this version of the kernel sources."""
    return f"results/.numba/{KERNEL_HASH}/{model}.done"


# ---------------------------------------------------------------------------------------------------------
# Fig. 3: networks x models x trained/untrained x seed groups

FIG3_VARIANTS = ("trained", "untrained")
LEARNING_RATES = ("eta_fw", "eta_IP", "eta_PI")


def fig3_setting(key):
    """A Fig. 3 setting, with the current scale's override if it has one."""
    c = config["fig3"]
    return c["scales"][scale()].get(key, c.get(key))


def fig3_seed_groups():
    seeds = fig3_setting("seeds")
    n = fig3_setting("seeds_per_job")
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
    p["epochs"] = fig3_setting("epochs")
    for key in ("dataset_size", "settling_time", "rec_per_steps"):
        if key in c["scales"][scale()]:
            p[key] = c["scales"][scale()][key]
    if variant == "untrained":
        p["epochs"] = 1
        for key in LEARNING_RATES:
            p[key] = [0] * len(p[key])
    p["random_seed"] = fig3_seed_groups()[int(wildcards.group)]
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
            for g in range(len(fig3_seed_groups()))]


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
    seeds = len(fig3_seed_groups()[int(wildcards.group)])
    steps = 4.05e6 * seeds * config["fig3"]["epochs"] / 1000
    us_per_step = 0.2 + 0.08 * n_units
    return int(attempt * (10 + 2 * steps * us_per_step * 1e-6 / 60))


# ---------------------------------------------------------------------------------------------------------
# figures and the index page

FIGURE_PAGES = {
    "fig3": dict(title="Fig. 3: multilayer comparison", config="config/fig3.yaml",
                 notebook="notebooks/fig3_multilayer.ipynb", data="results/fig3/fig3.nc",
                 pdf="results/fig3/fig3.pdf", png="results/fig3/fig3.png",
                 html="results/fig3/fig3_multilayer.html"),
}


def built_figures():
    """Figures the index links: those named as targets on the command line (`all` or none: every figure)
    and those whose report already exists, so building one figure never triggers another's simulations."""
    words = [w for w in sys.argv[1:] if not w.startswith("-")]
    named = [w for w in words if w in FIGURE_PAGES]
    wanted = set(FIGURE_PAGES) if ("all" in words or not named) else set(named)
    return [f for f in FIGURE_PAGES if f in wanted or Path(FIGURE_PAGES[f]["html"]).exists()]
