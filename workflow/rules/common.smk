"""What every figure shares: the figure registry, the configuration check, output paths, seed groups, the
simulator's code version and the Numba warm-ups, cluster runtimes, and the index page."""

import hashlib
import json
import re
import sys
import importlib.util
import itertools
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError

from microcircuits.models import MODELS
from microcircuits.processes import clear_stale_run_state

REGISTRY = yaml.safe_load(Path(workflow.basedir, "workflow", "figures.yaml").read_text())
FIGURES = list(REGISTRY["figures"])
GROUPS = REGISTRY.get("groups", {})
SCALES = ["paper", *sorted(p.stem for p in Path(workflow.basedir, "config", "scales").glob("*.yaml"))]
NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"  # names of nets, models, variants, sites: data, never paths or code


wildcard_constraints:
    group=r"\d+",
    fig="|".join(FIGURES),


# ---------------------------------------------------------------------------------------------------------
# resuming after a crash: one command


def clear_what_dead_runs_left():
    """A Snakemake killed with SIGKILL leaves its lock and temporary job scripts: the next run would stop with
    LockException.  They go when no process of another run is alive in this folder (the main run only)."""
    if workflow.is_main_process:
        said = clear_stale_run_state(Path(".snakemake"))
        if said:
            print(said, file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------
# configuration

# types every figure's schema may use ($defs of workflow/schemas/config.schema.yaml)
SCHEMA = yaml.safe_load(Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml").read_text())


def readable_yaml(path):
    """`path` once it is known to be a YAML mapping: Snakemake's own message for a syntax error does not say
    which of the config files has it."""
    try:
        data = yaml.safe_load(Path(workflow.basedir, path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise WorkflowError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise WorkflowError(f"{path}: {where}not valid YAML ({getattr(e, 'problem', None) or e})") from None
    if not isinstance(data, dict):
        raise WorkflowError(f"{path}: expected a mapping of settings, found {type(data).__name__}")
    return path


def _typed(value):
    """A value of --config typed as YAML would type it: Snakemake parses a nested value (`fig3={...}`) with
    YAML's BaseLoader, which leaves every number, boolean and null of it a string."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, str):
        try:
            typed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        if typed is None or isinstance(typed, (bool, int, float)):
            return typed
        try:  # YAML 1.1 reads 1e-3 as a string
            return float(value)
        except ValueError:
            return value
    return value


def type_command_line(cfg):
    """Put the --config values into cfg typed (after every config file and overlay was merged)."""
    def put(node, overrides):
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                put(node[key], value)
            else:
                node[key] = _typed(value)

    put(cfg, workflow.config_settings.config or {})


def config_source(path):
    """Where a configuration value came from: the command line, the scale's overlay or the figure's file."""
    overrides = workflow.config_settings.config or {}
    node = overrides
    for key in path:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            return "--config"  # a list given on the command line replaces the file's whole list
        if not isinstance(node, dict) or key not in node:
            break
        node = node[key]
    else:
        return "--config"
    top = path[0] if path else None
    if config.get("scale", "paper") != "paper" and top in FIGURES:
        overlay = yaml.safe_load(Path(workflow.basedir, "config", "scales", f"{config['scale']}.yaml").read_text()) or {}
        node = overlay
        for key in path:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            return f"config/scales/{config['scale']}.yaml"
    return f"config/{top}.yaml" if top in FIGURES else "config/config.yaml"


def check_scale(cfg):
    """The scale must name an overlay (config/scales/<scale>.yaml) or be `paper`."""
    if cfg.get("scale") not in SCALES:
        raise WorkflowError(f"{config_source(['scale'])}: scale: {cfg.get('scale')!r} is not one of {SCALES}")


def check_config(cfg):
    """Validate against the schema with messages that name the file (or --config), the key path and the
    value; one line each."""
    schema = dict(SCHEMA)
    schema["properties"] = {**SCHEMA["properties"], **{f: {"type": "object"} for f in FIGURES}}
    schema["properties"]["scale"] = {**SCHEMA["properties"]["scale"], "enum": SCALES}
    schema["required"] = SCHEMA["required"] + FIGURES
    _raise_problems(jsonschema.Draft202012Validator(schema).iter_errors(cfg), ())


def check_section(figure, schema):
    """Validate one figure's section against its schema (with the shared $defs); called by its rule module."""
    full = {**schema, "$defs": {**SCHEMA["$defs"], **schema.get("$defs", {})}}
    _raise_problems(jsonschema.Draft202012Validator(full).iter_errors(config[figure]), (figure,))


def _raise_problems(errors, prefix):
    problems = []
    for err in sorted(errors, key=lambda e: list(e.absolute_path)):
        path = list(prefix) + list(err.absolute_path)
        where = ".".join(str(p) for p in path) or "<top level>"
        problems.append(f"{config_source(path)}: {where}: {err.message}")
    if problems:
        lines = "\n  ".join(problems)
        raise WorkflowError(f"invalid configuration:\n  {lines}")


def output_folders(cfg):
    """Where outputs and logs go: config's `results` (each scale its own) and the same path under logs/."""
    results = cfg["results"]
    return results, f"logs{results[len('results'):]}"


def seed_groups(section):
    """The seeds of a figure's section split into the groups that one job each runs."""
    seeds, n = section["seeds"], section["seeds_per_job"]
    return [seeds[i:i + n] for i in range(0, len(seeds), n)]


def groups_pattern(section):
    """The wildcard pattern of a figure's seed groups: exactly the groups its config makes."""
    return "|".join(str(i) for i in range(len(seed_groups(section))))


def grid(**axes):
    """Every combination of the named values, in order (the last name varies fastest): a figure's jobs."""
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def merged(*mappings):
    """One mapping from several, later ones winning: how a job's parameters are composed from config."""
    out = {}
    for m in mappings:
        out.update(m)
    return out


def job_parameters(compose):
    """What a job-parameter step passes to its script (spread into its params with **, compose taking the
    wildcards): the parameters as the script receives them (`p`) and their fingerprint (`digest`)."""
    return dict(p=lambda w: sealed(compose(w)), digest=lambda w: digest(compose(w)))


def check_jobs(figure, jobs):
    """Validate every job's parameters with the simulator's own checks (the parameters and the task's needs)
    while the workflow is read, so that a bad value stops the dry run with the config file and key path that
    holds it, not a running job with a generated file.  jobs: job name -> parameters."""
    from microcircuits.params import InputError, ParamsError, params_from_mapping
    from microcircuits.tasks import TASKS

    stray = locate(config[figure], "random_seed", None, (figure,))
    if stray is not None:
        raise WorkflowError(f"{config_source(list(stray))}: {'.'.join(map(str, stray))}: the seeds of a figure's jobs are "
                            f"its `seeds` (grouped by `seeds_per_job`); remove this key")
    for name, parameters in jobs.items():
        try:
            p = params_from_mapping(parameters, source=f"{figure} job {name}")
            TASKS[p.input_signal].check(p)
        except ParamsError as err:
            where = locate(config[figure], err.key, parameters.get(err.key), (figure,))
            if where is None:
                raise WorkflowError(f"config/{figure}.yaml: {figure}: the job {name} gets {err.key}: "
                                    f"{json.dumps(err.value)}, which is not allowed; {err.allowed}")
            raise WorkflowError(f"{config_source(list(where))}: {'.'.join(map(str, where))}: {json.dumps(err.value)} "
                                f"is not allowed; {err.allowed}")
        except InputError as err:
            raise WorkflowError(f"config/{figure}.yaml: {figure}: the job {name}: {err}")


def locate(node, key, value, path):
    """The path of the first `key` in a config section that holds `value` (where a job's value came from)."""
    if isinstance(node, dict):
        if key in node and (node[key] == value or value is None):
            return path + (key,)
        for k, v in node.items():
            found = locate(v, key, value, path + (k,))
            if found:
                return found
    return None


def sealed(parameters):
    """A job's parameters as its script receives them (snakemake.params.p): a SimpleNamespace, which
    Snakemake hands to the script but neither stores nor prints; `digest` stands for them in its change
    detection, so a dry run says "params changed" in one line instead of printing both dictionaries."""
    return SimpleNamespace(**parameters)


def digest(parameters):
    """A short fingerprint of a job's parameters (what Snakemake compares between runs)."""
    text = json.dumps(parameters, sort_keys=True, default=str)
    return f"parameters {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def looked_up(section, *keys):
    """section[key1][key2]..., or an error naming the figure's config file and the missing key path."""
    node = config[section]
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(map(str, (section,) + keys[:i + 1]))
            raise WorkflowError(f"{config_source([section])}: {where}: missing")
        node = node[key]
    return node


def teacher_student_job(figure, w):
    """The parameters of one job of a multilayer comparison (Fig. 3 and its kin), the reference file's keys
    and values: the section's `common`, the model's settings, the network's sizes (as many error units as
    representation units), its learning rates and `epochs`; the untrained variant is the same initial
    network run one epoch with every learning rate 0; then the group's seeds and the snapshot flags."""
    section = config[figure]
    layers = section["nets"][w.net]
    p = merged(section["common"], looked_up(figure, "model_settings", w.model),
               {"layers": list(layers), "error_layers": [0] + list(layers[1:])},
               looked_up(figure, "learning_rates", w.model, w.net), {"epochs": section["epochs"]})
    if w.variant == "untrained":
        p.update(epochs=1, **{k: [0] * len(p[k]) for k in ("eta_fw", "eta_IP", "eta_PI") if k in p})
    record = section["record_snapshots"]
    p.update(random_seed=seed_groups(section)[int(w.group)], rec_WPP=record, rec_WIP=record, rec_BPI=record,
             rec_BII=False, rec_BPP=False, rec_uP_breve=record, rec_uI_breve=record, rec_vbas=record)
    p[f"rec_{MODELS[w.model].feedback_key}"] = record
    return p


# ---------------------------------------------------------------------------------------------------------
# figures that are Fig. 3 with other models (Figs. A1, A2, C1): config/fig3.yaml's grid, seeds and parameters

FIG3_KIN = {}  # figure -> its section; filled by the figure's rule module (check_fig3_kin)


def check_fig3_kin(figure):
    """Check a Fig. 3 kin's section (schema $defs.fig3_kin; base models from the registry, reused models among
    Fig. 3's) and register it for the shared rules (workflow/rules/fig3_kin.smk)."""
    check_section(figure, {"$ref": "#/$defs/fig3_kin"})
    for name, entry in config[figure]["models"].items():
        if "model" in entry and entry["model"] not in MODELS:
            raise WorkflowError(f"{config_source([figure, 'models', name, 'model'])}: {figure}.models.{name}.model: "
                                f"{entry['model']!r} is not one of {list(MODELS)}")
        if "reuse" in entry and name not in config["fig3"]["models"]:
            raise WorkflowError(f"{config_source([figure, 'models', name])}: {figure}.models.{name}: reuses Fig. 3's "
                                f"runs of {name!r}, which config/fig3.yaml does not run (its models: {config['fig3']['models']})")
    FIG3_KIN[figure] = config[figure]


PAL_FIGURES = {}  # figure -> its section; filled by the figure's rule module (check_pal_figure)
PAL_KEEP = {}  # figure -> the run variables its aggregate keeps (its rule module)
PAL_DIM_ATTRS = {}  # figure -> attributes of its dims


def check_pal_figure(figure):
    """Check a PAL figure's section (schema $defs.pal_figure; each cell's coordinates on exactly its dims; every
    job's parameters by PAL's own schema) and register it for the shared rules (workflow/rules/pal_runs.smk)."""
    from microcircuits.params import InputError, ParamsError
    from microcircuits.params_pal import pal_params_from_mapping
    from microcircuits.preflight import pal_preflight

    check_section(figure, {"$ref": "#/$defs/pal_figure"})
    section = config[figure]
    for name, cell in section["cells"].items():
        if sorted(cell["at"]) != sorted(section["dims"]):
            raise WorkflowError(f"{config_source([figure, 'cells', name, 'at'])}: {figure}.cells.{name}.at: "
                                f"{sorted(cell['at'])}; expected a value for each of dims {section['dims']}")
    stray = locate(section, "random_seed", None, (figure,))
    if stray is not None:
        raise WorkflowError(f"{config_source(list(stray))}: {'.'.join(map(str, stray))}: the seeds of a figure's jobs are "
                            f"its `seeds` (a cell's own `seeds`), grouped by `seeds_per_job`; remove this key")
    PAL_FIGURES[figure] = section
    for job in pal_jobs(figure):
        parameters = pal_job(figure, job["cell"], job["group"])
        try:
            pal_preflight(pal_params_from_mapping(parameters, source=f"{figure} job {job['cell']}"),
                          section["task"], section["compare_bp"])
        except ParamsError as err:
            where = locate(section, err.key, parameters.get(err.key), (figure,))
            place = f"{config_source(list(where))}: {'.'.join(map(str, where))}" if where else f"config/{figure}.yaml: {figure}"
            raise WorkflowError(f"{place}: the job {job['cell']} gets {err.key}: {json.dumps(err.value)}, which is not "
                                f"allowed; {err.allowed}")
        except InputError as err:
            raise WorkflowError(f"config/{figure}.yaml: {figure}: the job {job['cell']}: {err}")


def pal_seed_groups(figure, cell):
    """A PAL cell's seeds (its own, else the figure's) in the groups one job each runs."""
    section = PAL_FIGURES[figure]
    return seed_groups({"seeds": section["cells"][cell].get("seeds", section["seeds"]),
                        "seeds_per_job": section["seeds_per_job"]})


def pal_jobs(figure):
    """Every job of a PAL figure: its cell and seed group."""
    return [{"cell": c, "group": g} for c in PAL_FIGURES[figure]["cells"] for g in range(len(pal_seed_groups(figure, c)))]


def pal_job(figure, cell, group):
    """A PAL job's parameters: the section's `common`, the cell's settings, the group's seeds, and the first
    seed of the cell, from which every job takes the input (bw_only) and the teacher (fw_bw) as PAL's one run of
    all seeds does (`shared_seed`)."""
    section = PAL_FIGURES[figure]
    groups = pal_seed_groups(figure, cell)
    return merged(section["common"], section["cells"][cell]["settings"],
                  {"random_seed": groups[int(group)], "shared_seed": groups[0][0]})


PAL_US_PER_STEP = 3.0  # measured on the 2-core VM at 5-20-10-20-5 (docs/performance.md), for cluster time limits


def pal_runtime(wildcards, attempt):
    """Minutes for a PAL job: its seeds' steps (and the replay's) at PAL_US_PER_STEP, with headroom."""
    from microcircuits.params_pal import pal_params_from_mapping
    from microcircuits.preflight import pal_preflight
    section = PAL_FIGURES[wildcards.fig]
    p = pal_params_from_mapping(pal_job(wildcards.fig, wildcards.cell, wildcards.group))
    steps = pal_preflight(p, section["task"], section["compare_bp"])["steps"]
    return int(attempt * (10 + 3 * steps * PAL_US_PER_STEP * 1e-6 / 60))


def kin_base(figure, model):
    """The registered model a kin's entry runs (the entry's name itself for a reused Fig. 3 model)."""
    entry = config[figure]["models"][model]
    return entry.get("model", model)


def kin_job(figure, w):
    """A kin job's parameters: Fig. 3's job for the entry's base model, the entry's settings on top."""
    base = SimpleNamespace(net=w.net, model=kin_base(figure, w.model), variant=w.variant, group=w.group)
    return merged(teacher_student_job("fig3", base), config[figure]["models"][w.model].get("settings", {}))


def kin_cells(figure):
    """A kin's grid: (net, model, variant, group) over Fig. 3's networks and seed groups, its models."""
    return grid(net=list(config["fig3"]["nets"]), model=list(config[figure]["models"]), variant=["trained", "untrained"],
                group=range(len(seed_groups(config["fig3"]))))


def kin_run(figure, cell):
    """Where a cell's run file is: Fig. 3's run for a reused model, the figure's own otherwise."""
    reused = "reuse" in config[figure]["models"][cell["model"]]
    return f"{RESULTS}/{'fig3' if reused else figure}/runs/{cell['net']}/{cell['model']}/{cell['variant']}/group{cell['group']}.nc"


def kin_target_problem(target):
    """A kin's run or parameter file of a model the figure does not run itself: a model of another kin, or
    one it reuses from Fig. 3 (a rule's wildcards cannot tie the model to the figure)."""
    m = re.fullmatch(rf"{re.escape(RESULTS)}/({'|'.join(map(re.escape, FIG3_KIN))})/(?:runs|params)/[^/]+/([^/]+)/.+", target)
    if not m:
        return None
    fig, model = m.groups()
    models = config[fig]["models"]
    if model in models and "reuse" not in models[model]:
        return None
    own = ", ".join(n for n, e in models.items() if "reuse" not in e)
    if model in models:
        return f"{fig} reuses Fig. 3's runs of {model} ({RESULTS}/fig3/runs/…); the models it runs itself: {own}"
    return f"model '{model}' is not one of {fig}'s (config/{fig}.yaml); the models it runs itself: {own}"


def pal_target_problem(target):
    """A PAL figure's run or parameter file of a cell it does not have, or of a seed group beyond the cell's."""
    m = re.fullmatch(rf"{re.escape(RESULTS)}/({'|'.join(map(re.escape, PAL_FIGURES))})/(?:runs|params)/([^/]+)/group(\d+)\.(?:nc|json)", target)
    if not m or not PAL_FIGURES:
        return None
    fig, cell, group = m.groups()
    cells = PAL_FIGURES[fig]["cells"]
    if cell not in cells:
        return f"cell '{cell}' is not one of {fig}'s (config/{fig}.yaml); allowed: {', '.join(cells)}"
    n = len(pal_seed_groups(fig, cell))
    if int(group) >= n:
        return f"group {group}: {fig}'s cell {cell} has {n} seed group(s) (seeds_per_job); allowed: {', '.join(map(str, range(n)))}"
    return None


def kin_labels(figure):
    """Legend labels of a kin's models: the entry's label, or the registry's."""
    return {m: e.get("label", MODELS[kin_base(figure, m)].label) for m, e in config[figure]["models"].items()}


def teacher_student_kernels(model):
    """The warm-up markers a Fig. 3-like job of `model` needs: its kernels and its teacher's."""
    teacher = merged(config["fig3"]["common"], config["fig3"]["model_settings"][model]).get("teacher_mc_model", model)
    return [warmup_flag(m) for m in dict.fromkeys([model, teacher])]


def replay_runtime(section):
    """Minutes of a teacher-student job with the replay on a cluster node, from the per-step costs measured on a
    2-core VM (paper scale, 10 seeds, replay included: 0.3 us per step at 3 units up to 5.1 us at 63)."""

    def runtime(wildcards, attempt):
        if config["scale"] != "paper" or wildcards.variant == "untrained":
            return 10 * attempt
        n_units = sum(section["nets"][wildcards.net])
        seeds = len(seed_groups(section)[int(wildcards.group)])
        steps = 4.05e6 * seeds * section["epochs"] / 1000
        return int(attempt * (10 + 2 * steps * (0.2 + 0.08 * n_units) * 1e-6 / 60))

    return runtime


def genmnist_params(common, n_rep, n_err, seeds, extra=None):
    """A genMNIST job's parameters (Figs. 4 and 5): a common set, the network's sizes, the seeds."""
    p = merged(common, dict(layers=[10, n_rep, 784], error_layers=[0, n_err, 784], random_seed=list(seeds)))
    if config["fig4"].get("mnist_path"):
        p["mnist_path"] = config["fig4"]["mnist_path"]
    return merged(p, extra or {})


def ablation_params(connectivity, seeds):
    """A job's parameters: Fig. 4's genMNIST parameters, the figure's common ones, the connectivity's, the seeds."""
    p = merged(config["fig4"]["common"], config["fig_ablation"]["common"], config["fig_ablation"]["connectivities"][connectivity],
               {"random_seed": list(seeds)})
    if config["fig4"].get("mnist_path"):
        p["mnist_path"] = config["fig4"]["mnist_path"]
    return p


def genmnist_runtime(section, epochs):
    """Minutes of a genMNIST job on a cluster node, from the cost per step measured on a 2-core VM
    (benchmarks/genmnist_speed.py: 0.5 ms at 10-50-784 up to 3.4 ms at 10-1000-784 with 1000 error units,
    about 0.6 ns per weight the step touches), with headroom."""

    def runtime(wildcards, attempt):
        if config["scale"] != "paper":
            return 10 * attempt
        n_rep = int(getattr(wildcards, "n_rep", section.get("n_rep", 1000)))
        n_err = int(getattr(wildcards, "n_err", section.get("n_err", 1000)))
        steps = (epochs + 12) * 200 * section["seeds_per_job"]
        ms_per_step = 0.6e-6 * (2 * n_rep * 794 + n_err * 784 + 2 * (n_err * n_rep + 784 * 784))
        return int(attempt * (10 + 2 * steps * ms_per_step / 1000 / 60))

    return runtime


# ---------------------------------------------------------------------------------------------------------
# the simulator's code version and the Numba warm-ups

# the simulator's sources; report.py draws nothing a simulation computes (the notebooks use it), so an edit
# of it reruns the notebooks (their rule's code), not the simulations
CODE_HASH = hashlib.sha256(b"".join(
    p.relative_to(workflow.basedir).as_posix().encode() + p.read_bytes()
    for p in sorted(Path(workflow.basedir, "src", "microcircuits").rglob("*.py")) if p.name != "report.py")).hexdigest()[:16]
WARMUPS = {name: {} for name in MODELS}  # what to compile: model and task names -> network settings of a tiny run


def warmup_flag(kind):
    """Marker that the kernels of a model or task are compiled for this version of the simulator's code.  Every
    simulation depends on one: an edit of the code means a new marker, so the simulations run again."""
    return f"{RESULTS}/.numba/{CODE_HASH}/{kind}.done"


def task_runtime(section, us_per_step, steps_per_seed):
    """Minutes for a job on a cluster node, from the cost per step measured on a 2-core VM, with headroom."""

    def runtime(wildcards, attempt):
        seeds = len(section["seeds"])
        return int(attempt * (10 + 3 * seeds * steps_per_seed * us_per_step * 1e-6 / 60))

    return runtime


def simulate_options():
    return ["--attr", f"scale={config['scale']}"]


# ---------------------------------------------------------------------------------------------------------
# figure outputs and the index page


def figure_outputs(fig):
    """What a figure's target builds: the PDF, the PNG, the rendered notebook and the source data."""
    return [f"{RESULTS}/{fig}/{fig}.{ext}" for ext in ("pdf", "png", "html")] + [f"{RESULTS}/{fig}/source_data"]


def write_index():
    """results/index.html: every figure made so far (at this scale), with its thumbnail and provenance."""
    spec = importlib.util.spec_from_file_location("index_page", Path(workflow.basedir, "workflow", "scripts", "index.py"))
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    figures = {f: REGISTRY["figures"][f] for f in FIGURES}
    return page.write_index(Path(RESULTS), figures, {f: config[f] for f in FIGURES}, config["scale"])


# ---------------------------------------------------------------------------------------------------------
# explicit targets

_WILDCARD = re.compile(r"\{\s*(\w+)\s*(?:,\s*((?:[^{}]|\{[\d,]*\})*))?\}")


def _loose_match(pattern, target):
    """(name -> value, name -> constraint) if ``target`` fits ``pattern`` with any wildcard values, else None."""
    regex, constraints, seen, at = "", {}, set(), 0
    for m in _WILDCARD.finditer(pattern):
        regex += re.escape(pattern[at:m.start()])
        name = m.group(1)
        regex += f"(?P={name})" if name in seen else f"(?P<{name}>[^/]+)"
        seen.add(name)
        if m.group(2):
            constraints[name] = m.group(2)
        at = m.end()
    m = re.fullmatch(regex + re.escape(pattern[at:]), target)
    return (m.groupdict(), constraints) if m else None


# checks of an explicit target that a rule's wildcard constraints cannot express (a combination of two
# wildcards); each takes the target and returns what is wrong with it, or None
TARGET_CHECKS = []


def command_line_targets():
    """The targets typed on the command line (Snakemake hands them to the workflow only after parsing it)."""
    if not workflow.is_main_process or Path(sys.argv[0]).name not in ("snakemake", "__main__.py"):
        return []
    from snakemake.cli import get_argument_parser

    try:
        return get_argument_parser().parse_known_args(sys.argv[1:])[0].targets or []
    except SystemExit:  # not Snakemake's own command line after all
        return []


def _scale_of(target):
    """The scale whose outputs ``target`` lies among (results/<scale>/… for an overlay, results/… for paper)."""
    parts = Path(target).parts
    if len(parts) < 2 or parts[0] != "results":
        return None
    if Path(workflow.basedir, "config", "scales", f"{parts[1]}.yaml").exists():
        return parts[1]
    return "paper"


def check_targets():
    """A file target outside the configured grid (a net, model, variant or seed group the config does not
    list): one line naming the wildcard, its value and the allowed values, where Snakemake would only say
    that no rule produces the file."""
    for target in command_line_targets():
        for problem in filter(None, (check(target) for check in TARGET_CHECKS)):
            raise WorkflowError(f"{target}: {problem}")
        if "/" not in target or any(producer.is_producer(target) for producer in workflow.rules):
            continue
        scale = _scale_of(target)
        if scale and scale != config["scale"]:
            how = "without --config scale=…" if scale == "paper" else f"with --config scale={scale}"
            raise WorkflowError(f"{target}: an output of scale '{scale}', not of '{config['scale']}'; run {how}")
        for producer in workflow.rules:
            for pattern in producer.output:
                found = _loose_match(str(pattern), target)
                if not found:
                    continue
                values, constraints = found
                for name, value in values.items():
                    allowed = constraints.get(name)
                    if allowed and not re.fullmatch(allowed, value):
                        choices = allowed.replace("\\", "").split("|") if re.fullmatch(r"[\w.\\|-]*", allowed) else [allowed]
                        raise WorkflowError(f"{target}: {name} '{value}' is not in the configured grid "
                                            f"(config/); allowed: {', '.join(choices) or 'none'}")
