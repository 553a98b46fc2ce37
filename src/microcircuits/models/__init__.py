"""The model families, listed once.  Everything else asks this registry: the parameter checks, the builders,
the kernel a network runs on, the tasks, the benchmarks and the tests.  Adding a family: docs/extending.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ann, dpc, errormc, sacramento2018
from .base import Circuit, ModelFamily, Sizes, teacher_seed

if TYPE_CHECKING:
    from ..params import Params

MODELS: dict[str, ModelFamily] = {m.name: m for m in (errormc.MODEL, sacramento2018.MODEL, dpc.MODEL, ann.MODEL)}

__all__ = ["MODELS", "Circuit", "ModelFamily", "build", "family", "teacher_seed"]


def family(name: str) -> ModelFamily:
    return MODELS[name]


def build(p: Params, seed: int, teacher: bool = False, mutable: dict | None = None) -> Circuit:
    """Build the student (or teacher) network of ``p`` for ``seed``.

    ``mutable`` carries the reference's in-place edits of the shared params dict across builds (building a
    layered-only family sets both connection modes to 'layered'); pass one dict per job.
    """
    state = mutable if mutable is not None else {}
    fam = MODELS[p.teacher_model if teacher else p.mc_model]
    if fam.layered_only:
        state["fw_connection_mode"] = state["bw_connection_mode"] = "layered"
    if teacher:
        layers = tuple(p.teacher_layers or p.layers)
        error_layers = tuple(p.teacher_error_layers or p.error_units) if fam.has_error_units \
            else tuple(p.error_layers or (0,) + tuple(layers[1:]))
    else:
        layers, error_layers = tuple(p.layers), p.error_units
    sizes = Sizes(seed=seed, teacher=teacher, layers=layers, error_layers=error_layers,
                  fw_mode=state.get("fw_connection_mode", p.fw_connection_mode),
                  bw_mode=state.get("bw_connection_mode", p.bw_connection_mode))
    c = fam.build(p, sizes)
    c.allow_divergence = p.allow_divergence and not teacher
    return c
