"""mme.analysis gives MMEngine's numbers and reports for the models in analysis_models.py.

mmengine_oracle.json holds what MMEngine 0.10.7's own analysis said of each model (recorded by
tools/record_analysis_oracle.py, with MMEngine as a black box).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mme.analysis import ActivationAnalyzer, FlopAnalyzer, get_model_complexity_info, parameter_count, parameter_count_table

import analysis_models as _models

ORACLE = json.loads(Path(__file__).with_name("mmengine_oracle.json").read_text(encoding="utf-8"))["models"]


@pytest.fixture(autouse=True)
def _quiet_logs(monkeypatch):
    monkeypatch.setattr("mme.analysis._jit_analysis.print_log", lambda *args, **kwargs: None)


@pytest.mark.parametrize("name", _models.NAMES)
def test_counts_match_mmengine(name):
    expected = ORACLE[name]
    model, inputs = _models.build(name)
    flops = FlopAnalyzer(model, inputs)
    acts = ActivationAnalyzer(model, inputs)
    assert dict(flops.by_module()) == expected["flops_by_module"]
    assert dict(flops.by_operator()) == expected["flops_by_operator"]
    assert dict(flops.unsupported_ops()) == expected["unsupported_flop_ops"]
    assert sorted(flops.uncalled_modules()) == expected["uncalled_modules"]
    assert dict(acts.by_module()) == expected["activations_by_module"]
    assert dict(acts.by_operator()) == expected["activations_by_operator"]
    assert dict(acts.unsupported_ops()) == expected["unsupported_activation_ops"]
    assert dict(parameter_count(model)) == expected["parameter_count"]


@pytest.mark.parametrize("name", _models.NAMES)
def test_reports_match_mmengine(name):
    expected = ORACLE[name]
    model, inputs = _models.build(name)
    info = get_model_complexity_info(model, inputs=inputs)
    for key in ("flops", "flops_str", "activations", "activations_str", "params", "params_str"):
        assert info[key] == expected["complexity_info"][key], key
    assert info["out_table"] == expected["complexity_info"]["out_table"]
    assert info["out_arch"] == expected["complexity_info"]["out_arch"]
    if expected["parameter_count_table"] is not None:  # MMEngine's fails on a model without parameters
        assert parameter_count_table(model) == expected["parameter_count_table"]
