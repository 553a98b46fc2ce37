"""The shape of the house: layers import only inward, the model registry is the one list of models, and
importing the package leaves Numba's configuration alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microcircuits.models import MODELS, build
from microcircuits.params import params_from_mapping
from microcircuits.tasks.protocol import Sim, null_recorder, phase

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "microcircuits"
# layer -> the layers of the package it may import (docs/extending.md)
ALLOWED = {
    "kernels": {"kernels"},
    "networks": {"networks", "kernels"},
    "models": {"models", "networks", "kernels"},
    "params": {"models"},
    "params_pal": {"params", "models"},
    "tasks": {"tasks", "models", "networks", "kernels", "params", "params_pal"},
    "io": {"io", "tasks", "models", "networks", "kernels", "params", "params_pal"},
    "report": {"report", "models"},
    "processes": set(),
}


def imports_of(path: Path) -> set[str]:
    """The package's own modules a file imports (first component after microcircuits)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    out = set()
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for i in ast.walk(tree) if isinstance(i, ast.If) and "TYPE_CHECKING" in ast.unparse(i.test)
                   for n in ast.walk(i)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[:-node.level]) if node.level <= len(parts) else []
            name = (base + (node.module.split(".") if node.module else []) + [""])[0]
            if not name and not node.module:
                name = (list(parts[:-node.level]) + [a.name for a in node.names])[0]
            out.add(name or parts[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("microcircuits."):
            out.add(node.module.split(".")[1])
    return out


@pytest.mark.parametrize("layer", list(ALLOWED))
def test_layers_import_only_inward(layer):
    for f in (PACKAGE / layer).rglob("*.py") if (PACKAGE / layer).is_dir() else [PACKAGE / f"{layer}.py"]:
        bad = imports_of(f) - ALLOWED[layer] - {"", "__version__"}  # the package's version is everyone's
        assert not bad, f"{f.relative_to(PACKAGE)} imports {sorted(bad)}"


def test_tasks_do_not_import_each_other():
    for f in (PACKAGE / "tasks").glob("*.py"):
        if f.name in ("__init__.py", "protocol.py"):
            continue
        tree = ast.parse(f.read_text())
        siblings = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}
        assert siblings <= {"protocol"}, f"{f.name} imports {siblings}"


def test_model_names_live_in_the_registry():
    """Outside the model modules (and the kernel table) no code compares or spells out a model's name."""
    for f in PACKAGE.rglob("*.py"):
        rel = f.relative_to(PACKAGE).parts
        if rel[0] in ("models", "kernels"):
            continue
        strings = {n.value for n in ast.walk(ast.parse(f.read_text())) if isinstance(n, ast.Constant)}
        assert not strings & set(MODELS), f"{f.relative_to(PACKAGE)} names {sorted(strings & set(MODELS))}"


@pytest.mark.parametrize("model", list(MODELS))
def test_every_registered_model_builds_and_steps(model):
    """Each family of the registry builds, flattens and runs on its kernel (a few learning steps)."""
    fam = MODELS[model]
    p = params_from_mapping(dict(mc_model=model, layers=[3, 4, 2], eta_fw=[0.1, 0.1], activation="tanh",
                                 random_seed=[1], model_type="BP", WT_noise=0.5), source="test")
    sim = Sim.of(build(p, 1))
    assert sim.kernel == fam.kernel
    W = sim.net.W.copy()
    X = np.full((30, 3), 0.5)
    phase(sim, null_recorder(sim.net), X, np.full((30, 2), 0.2), inject=True, synapse=True, learn_w=True)
    assert np.all(np.isfinite(sim.st.u)) and not np.array_equal(sim.net.W, W)
    assert fam.population and fam.label and fam.lateral_populations(2) >= 0


def test_importing_leaves_numba_configuration_alone(tmp_path):
    """The kernels cache in a directory of their own (named after their sources) without setting Numba's
    CACHE_DIR, so nobody else's jitted code is affected."""
    code = ("import numba; before = numba.config.CACHE_DIR; import microcircuits.tasks, microcircuits.io, "
            "microcircuits.cli; from microcircuits.kernels import cache_dir; "
            "assert numba.config.CACHE_DIR == before, numba.config.CACHE_DIR; print(cache_dir())")
    env = {"PATH": "/usr/bin:/bin", "MICROCIRCUITS_CACHE_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(str(tmp_path))
