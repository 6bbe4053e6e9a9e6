"""Record what MMEngine's ``mmengine.analysis`` says of the models in tests/analysis/analysis_models.py.

Writes tests/analysis/mmengine_oracle.json, which tests/analysis/test_oracle.py holds
mme.analysis to. MMEngine is a black box here: the script calls its public functions and
records their results, nothing more. Run it in a throwaway venv that has MMEngine and a CPU torch
(and not mme-compat, whose ``mmengine`` would answer instead):

    python3 -m venv /tmp/mmeoracle
    /tmp/mmeoracle/bin/pip install mmengine==0.10.7 torch==2.13.0
    /tmp/mmeoracle/bin/python tools/record_analysis_oracle.py
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "analysis" / "mmengine_oracle.json"


def _or_none(fn, *args):
    try:
        return fn(*args)
    except KeyError:  # MMEngine's parameter_count_table fails on a model without parameters
        return None


def main() -> None:
    import mmengine
    from mmengine.analysis import (
        ActivationAnalyzer,
        FlopAnalyzer,
        get_model_complexity_info,
        parameter_count,
        parameter_count_table,
    )

    if "_mme_compat" in sys.modules or not hasattr(mmengine, "__file__"):
        raise SystemExit("this is mme-compat's mmengine: run the script where the real MMEngine is installed")
    spec = importlib.util.spec_from_file_location("analysis_models", ROOT / "tests" / "analysis" / "analysis_models.py")
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    record = {"mmengine_version": mmengine.__version__, "models": {}}
    for name in models.NAMES:
        model, inputs = models.build(name)
        flops = FlopAnalyzer(model, inputs)
        acts = ActivationAnalyzer(model, inputs)
        info = get_model_complexity_info(*models.build(name)[:1], inputs=models.build(name)[1])
        record["models"][name] = {
            "flops_by_module": dict(flops.by_module()),
            "flops_by_operator": dict(flops.by_operator()),
            "unsupported_flop_ops": dict(flops.unsupported_ops()),
            "uncalled_modules": sorted(flops.uncalled_modules()),
            "activations_by_module": dict(acts.by_module()),
            "activations_by_operator": dict(acts.by_operator()),
            "unsupported_activation_ops": dict(acts.unsupported_ops()),
            "parameter_count": dict(parameter_count(model)),
            "parameter_count_table": _or_none(parameter_count_table, model),
            "complexity_info": info,
        }
    OUT.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
