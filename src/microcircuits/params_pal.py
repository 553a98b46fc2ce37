"""The parameters of Phaseless Alignment Learning's own runner files (PAL MC/experiments/*/params.json): no
``mc_model``, PAL's keys, its runner's tasks (docs/pal.md §6).  Every key a PAL file
uses is here: implemented, accepted and ignored where PAL's code ignores it (status 'ignored'), or accepted
only at the one value we support (status 'fixed').  The model they build: models/pal.py.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .models.pal import NOISE_MODES, NOISE_TYPES
from .params import (
    ParamsError,
    RunLength,
    activation_names,
    boolean,
    choice,
    int_list,
    integer,
    number,
    number_list,
    read_parameter_file,
    uniform_range,
)

MODEL_TYPES = ("BP", "FA", "PAL")


def key(check, default=None, doc="", status="live", required=False, pal_only=False):
    """A PAL schema entry; ``pal_only`` keys are required (as PAL's init_MC reads them) only for model_type PAL."""
    return field(default=default, metadata=dict(check=check, doc=doc, status=status, required=required,
                                                pal_only=pal_only))


def only(value):
    def check(v):
        if v != value or type(v) is not type(value):
            raise ValueError(f"only {str(value).lower() if isinstance(value, bool) else repr(value)} is supported")
        return v
    check.kind = type(value).__name__
    return check


@dataclass(frozen=True)
class PalParams(RunLength):
    """One PAL runner file, validated (its keys: docs/pal.md §6)."""

    model_type: str = key(choice(MODEL_TYPES), required=True, doc="BP (B = W^T every step), FA (B fixed) or PAL (B learned from noise)")
    layers: tuple = key(int_list(1, 3), required=True, doc="units per area, input first (at least one hidden area)")
    activation: Any = key(activation_names, required=True, doc="one name or one per area 1..N (interneurons use the area above's)")
    dt: float = key(number(0, lo_open=True), required=True, doc="Euler step (ms)")
    Tpres: float = key(number(0, lo_open=True), required=True, doc="presentation time per sample (ms)")
    dataset_size: int = key(integer(1), required=True, doc="samples, U(0, 1) vectors held for Tpres each")
    epochs: int = key(integer(1), required=True, doc="passes over the shuffled samples")
    settling_time: float = key(number(0), required=True, doc="settling before learning (ms): no plasticity, no noise, no target")
    gl: float = key(number(0), required=True, doc="leak conductance (1/ms)")
    gbas: float = key(number(0), required=True, doc="basal to soma")
    gapi: float = key(number(0), required=True, doc="apical to soma")
    gden: float = key(number(0), required=True, doc="interneuron dendrite to soma")
    gnI: float = key(number(0), required=True, doc="interneuron nudging by the area above")
    gntgt: float = key(number(0), required=True, doc="output nudging by the target")
    eta_fw: tuple = key(number_list, required=True, doc="forward learning rates, one per area 1..N")
    eta_bw: tuple = key(number_list, required=True, doc="PAL: feedback learning rates, one per hidden area")
    eta_IP: tuple = key(number_list, required=True, doc="pyramid-to-interneuron learning rates per population")
    eta_PI: tuple = key(number_list, required=True, doc="interneuron-to-apical learning rates per population")
    init_WPP_range: tuple = key(uniform_range, required=True, doc="students' forward weights U(low, high)")
    init_WIP_range: tuple = key(uniform_range, required=True, doc="drawn, then replaced by the self-predicting state")
    init_BPP_range: tuple = key(uniform_range, required=True, doc="students' feedback weights (FA, PAL)")
    init_BPI_range: tuple = key(uniform_range, required=True, doc="drawn, then replaced by the self-predicting state")
    init_teacher_WPP_range: tuple = key(uniform_range, required=True, doc="teacher's forward weights (fw_bw)")
    init_teacher_WIP_range: tuple = key(uniform_range, required=True)
    init_teacher_BPP_range: tuple = key(uniform_range, required=True)
    init_teacher_BPI_range: tuple = key(uniform_range, required=True)
    random_seed: tuple = key(int_list(0, 1, 2**32 - 1), required=True, doc="student seeds; the teacher's derives from the first")
    init_in_SPS: bool = key(boolean, required=True, doc="students start in the self-predicting state (the teacher always does)")
    dWPP_use_activation: bool = key(boolean, required=True, doc="forward plasticity on rates (true) or on voltages")
    input_signal: str = key(only("step"), "step", "PAL's runner has one input: U(0, 1) vectors held for Tpres", status="fixed")
    # PAL's own keys (read by PAL's init_MC for model_type PAL only)
    dtxi: float = key(number(0, lo_open=True), doc="noise resampling period (ms); must equal dt", pal_only=True)
    tauxi: float | None = key(number(0, lo_open=True), doc="OU noise time constant (ms)")
    tauHP: float = key(number(0, lo_open=True), doc="high-pass time constant of the rates that teach B (ms)", pal_only=True)
    tauLO: float = key(number(0, lo_open=True), doc="low-pass time constant of forward updates and inter_low_pass (ms)", pal_only=True)
    noise_type: str = key(choice(tuple(NOISE_TYPES)), doc="OU (filtered) or hold_white_noise", pal_only=True)
    noise_mode: str = key(choice(tuple(NOISE_MODES)), doc="const, or the noise scaled by abs(uP), abs(uP_breve) or abs(vapi) (uP_adaptive, a stub in PAL, is refused)", pal_only=True)
    noise_scale: tuple = key(number_list, doc="noise scale sigma per hidden area", pal_only=True)
    alpha: tuple = key(number_list, doc="weight decay of B per hidden area", pal_only=True)
    pyr_hi_pass: bool = key(boolean, doc="B learns from high-passed rates of the area above (false: raw rates)", pal_only=True)
    dWPP_low_pass: bool = key(boolean, doc="forward updates low-passed with tauLO (PAL students only, as in PAL)", pal_only=True)
    inter_low_pass: bool = key(boolean, doc="interneuron dendrite low-passed with tauLO", pal_only=True)
    gate_regularizer: bool = key(boolean, doc="weight decay of B only where the high-passed presynaptic rate is > 0", pal_only=True)
    dWPP_r_low_pass: bool = key(only(False), False, "low-pass of presynaptic rates in dW (unused by every PAL file)", status="fixed")
    dWPP_post_low_pass: bool = key(only(False), False, "low-pass of the postsynaptic error in dW (unused by every PAL file)", status="fixed")
    varphi_regularizer: bool = key(only(False), False, "phi' B phi' weight decay (unused by every PAL file)", status="fixed")
    shared_seed: int | None = key(integer(0, 2**32 - 1), None, "this project's: the seed the shared input (bw_only) and the teacher (fw_bw) derive from, which PAL takes from the first of random_seed; set when a run's seeds are split over jobs")
    taur: float | None = key(number(0), None, "runner: students' look-ahead scaled by taur (0: no prospective coding)")
    rec_per_steps: int = key(integer(1), 1000, "a record after every rec_per_steps steps of the run, settling included")
    rec_MSE: bool = key(boolean, True, "record the squared output error (fw_bw)")
    noise_deg: float | None = key(number(), None, "uP_adaptive only", status="ignored")
    taueps: float | None = key(number(), None, "uP_adaptive only", status="ignored")
    copy_teacher_weights: bool = key(only(False), False, "PAL's testing switch", status="fixed")
    copy_teacher_voltages: bool = key(only(False), False, "PAL's testing switch", status="fixed")
    source: str = field(default="<mapping>", compare=False, metadata=dict(internal=True))
    raw: Mapping = field(default_factory=dict, compare=False, repr=False, metadata=dict(internal=True))

    def activations(self) -> tuple[str, ...]:
        a = self.activation
        return (a,) * self.n_areas if isinstance(a, str) else tuple(a)

    def to_dict(self) -> dict:
        return dict(self.raw)


REC_KEYS = ("rec_error", "rec_input", "rec_target", "rec_WPP", "rec_WIP", "rec_BPP", "rec_BPI", "rec_dWPP", "rec_dWIP",
            "rec_dBPP", "rec_dBPI", "rec_uP", "rec_uP_breve", "rec_rP_breve", "rec_rP_breve_HI", "rec_uI", "rec_uI_breve",
            "rec_rI_breve", "rec_vbas", "rec_vapi", "rec_vapi_noise", "rec_noise", "rec_epsilon", "rec_epsilon_LO",
            "rec_lat_mismatch")
PAL_SCHEMA = {f.name: f.metadata for f in dataclasses.fields(PalParams) if not f.metadata.get("internal")}
IGNORED = {k: dict(check=boolean, doc="what PAL pickles; the angles, MSE and weights it needs are always recorded here",
                   status="ignored", required=False, pal_only=False) for k in REC_KEYS}


def is_pal_file(mapping: Mapping) -> bool:
    """A PAL runner file: no mc_model, and PAL's own keys (the error-neuron files always name their mc_model)."""
    return "mc_model" not in mapping and ("noise_type" in mapping or "model_type" in mapping and "tauHP" in mapping)


def pal_params_from_mapping(mapping: Mapping, source: str = "<mapping>") -> PalParams:
    schema = {**PAL_SCHEMA, **IGNORED}
    values = {}
    for k, v in mapping.items():
        if k == "_comment":
            continue
        if k not in schema:
            close = difflib.get_close_matches(str(k), schema, 1, 0.8)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParamsError(source, k, v, f"this key is unknown to PAL's runner files{hint}; see docs/pal.md §6")
        try:
            checked = schema[k]["check"](v)
        except ValueError as err:
            raise ParamsError(source, k, v, str(err)) from None
        if k in PAL_SCHEMA:
            values[k] = checked
    pal = values.get("model_type") == "PAL"
    for k, meta in PAL_SCHEMA.items():
        if values.get(k) is None and (meta["required"] or (pal and meta["pal_only"])):
            raise ParamsError(source, k, None, "this key is required" + (" for model_type PAL" if meta["pal_only"] else ""))
    p = PalParams(**values, source=source, raw={k: v for k, v in mapping.items() if k != "_comment"})
    _check_consistency(p)
    return p


def _check_consistency(p: PalParams) -> None:
    err = lambda k, allowed: ParamsError(p.source, k, getattr(p, k), allowed)  # noqa: E731
    N, H = p.n_areas, p.n_areas - 1
    if isinstance(p.activation, tuple) and len(p.activation) < N:
        raise err("activation", f"one name per area 1..{N} ({N} names)")
    for k, n in (("eta_fw", N), ("eta_IP", H), ("eta_PI", H)):
        if len(getattr(p, k)) < n:
            raise err(k, f"at least {n} values for layers {list(p.layers)}")
    if p.model_type == "PAL":
        for k in ("eta_bw", "noise_scale", "alpha"):
            if len(getattr(p, k)) < H:
                raise err(k, f"at least {H} values (one per hidden area) for layers {list(p.layers)}")
        if round(p.dtxi / p.dt, 9) != 1:
            raise err("dtxi", f"only dtxi = dt ({p.dt}) is supported (PAL shares one resampling counter across areas)")
        if p.noise_type == "OU" and p.tauxi is None:
            raise ParamsError(p.source, "tauxi", None, "this key is required for noise_type OU")
    T = p.steps_per_sample
    if T < 1:
        raise err("Tpres", f"at least one step (dt = {p.dt})")
    if p.settling_steps > p.dataset_size * T:
        raise err("settling_time", f"at most dataset_size x Tpres = {p.dataset_size * p.Tpres} ms (settling replays the samples once)")


def load_pal_params(path: str | Path, overrides: Mapping | None = None) -> PalParams:
    data = read_parameter_file(path)
    if overrides:
        data = {**data, **overrides}
    return pal_params_from_mapping(data, source=str(path))
