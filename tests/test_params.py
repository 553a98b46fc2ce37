"""Parameter files: every reference file loads unchanged; bad input is refused with a message that names
the file, the key, the value and what is allowed."""

import json

import pytest
import yaml

from microcircuits.params import SCHEMA, InputError, ParamsError, dead_keys, load_params, params_from_mapping

from .conftest import FIG3, PARAMS

ALL_FILES = sorted(PARAMS.rglob("*.json"))


def test_every_reference_file_loads():
    assert len(ALL_FILES) == 296
    for f in ALL_FILES:
        p = load_params(f)
        assert p.source == str(f)
        assert p.n_areas == len(p.layers) - 1


def test_fig3_values_as_in_the_file():
    p = load_params(FIG3 / "16-8-4-2-1" / "errormc" / "params.json")
    assert p.eta_fw == (2, 0.5, 0.125, 0.03125)
    assert p.fw_connection_mode == "skip" and p.init_realistic_connectivity
    assert p.steps_per_sample == 20 and p.settling_steps == 2000


BAD = [
    ({"dt": 0}, "dt", "number > 0"),
    ({"dt": -0.01}, "dt", "number > 0"),
    ({"error_layers": [0, 2]}, "error_layers", "3 entries"),
    ({"activation": "sigmoid"}, "activation", "tanh"),
    ({"eta_fw": [1, 2, 3]}, "eta_fw", "2 numbers"),
    ({"epochs": 1.5}, "epochs", "integer"),
    ({"epochs": True}, "epochs", "integer"),
    ({"layers": [4, 0, 1]}, "layers", "integers >= 1"),
    ({"init_WPP_range": [1, -1]}, "init_WPP_range", "low <= high"),
    ({"mc_model": "pal"}, "mc_model", "errormc"),
    ({"model_type": "PAL"}, "model_type", "BP"),
    ({"learning_rate": 0.1}, "learning_rate", "unknown"),
    ({"settling_time": 1000}, "settling_time", "training set has only"),
    ({"fw_connection_mode": "layered"}, "init_realistic_connectivity", "skip"),
    ({"rec_rate_MSE": False}, "rec_rate_MSE", "voltage target"),
    ({"copy_teacher_weights": True}, "copy_teacher_weights", "false"),
    ({"activation": ["tanh"]}, "activation", "2 names"),
]


@pytest.mark.parametrize("override,key,allowed", BAD)
def test_bad_values_name_file_key_value_and_what_is_allowed(override, key, allowed):
    path = FIG3 / "4-2-1" / "errormc" / "params.json"
    with pytest.raises(ParamsError) as err:
        load_params(path, override)
    msg = str(err.value)
    assert str(path) in msg and f"'{key}'" in msg and allowed in msg
    assert err.value.key == key


def test_missing_required_key():
    with pytest.raises(ParamsError, match="'layers'.*required"):
        params_from_mapping({"mc_model": "ann", "eta_fw": [1]}, source="x.yaml")


def test_unknown_key_suggests_close_spelling():
    with pytest.raises(ParamsError, match="did you mean 'gbas'"):
        params_from_mapping({"mc_model": "ann", "layers": [2, 1], "eta_fw": [1], "GBAS": 0.1})


def test_yaml_file_with_the_same_keys(tmp_path):
    d = json.loads((FIG3 / "2-1" / "ann" / "params.json").read_text())
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(d))
    assert load_params(f) == load_params(FIG3 / "2-1" / "ann" / "params.json")


def test_broken_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="bad.json.*not valid JSON"):
        load_params(bad)
    with pytest.raises(InputError, match="missing.json: no such parameter file"):
        load_params(tmp_path / "missing.json")


def test_dead_keys_are_accepted_and_documented():
    dead = dead_keys()
    assert {"target_rate", "activation_noise_std", "output", "noise_type"} <= set(dead)
    from pathlib import Path
    doc = (Path(__file__).parents[1] / "docs" / "deviations.md").read_text()
    for k in dead:
        assert f"`{k}`" in doc, f"dead key {k} is not listed in docs/deviations.md"


def test_every_key_has_a_kind():
    assert all(callable(m["check"]) and m["check"].kind for m in SCHEMA.values())


def test_parameter_page_is_current():
    from pathlib import Path

    from microcircuits.cli import keys_table
    page = (Path(__file__).parents[1] / "docs" / "parameters.md").read_text()
    assert keys_table() in page, "docs/parameters.md is stale: regenerate it with `microcircuits keys`"
