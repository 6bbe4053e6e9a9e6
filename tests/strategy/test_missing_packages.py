"""Without DeepSpeed or ColossalAI (ColossalAI is never in the main test env: it needs torch<=2.5.1),
mme imports cleanly, registers the names, and the strategy says how to install its package when
the runner is built, before anything is created."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_WITHOUT = """
import json, sys
package, work_dir, strategy, names = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
sys.modules[package] = None  # as if it were not installed
import mme.model, mme.optim, mme.strategy, mme.runner
from mme.registry import MODEL_WRAPPERS, OPTIM_WRAPPERS, STRATEGIES
from mme.runner import FlexibleRunner
from mme.strategy import MissingPackageError
from mme.testing import get_toy_cfg
for registry, name in zip((STRATEGIES, MODEL_WRAPPERS, OPTIM_WRAPPERS), names):
    assert registry.get(name).__name__ == name, name
assert not any(name == package or name.startswith(package + '.') for name in sys.modules
               if sys.modules[name] is not None)
try:
    FlexibleRunner.from_cfg(get_toy_cfg(work_dir, launcher='none', strategy=strategy))
except MissingPackageError as e:
    print('MissingPackageError:', e)
    sys.exit(3)
"""


@pytest.mark.parametrize("package, strategy, names", [
    ("deepspeed", dict(type="DeepSpeedStrategy"),
     ["DeepSpeedStrategy", "MMDeepSpeedEngineWrapper", "DeepSpeedOptimWrapper"]),
    ("colossalai", dict(type="ColossalAIStrategy", plugin="torch_ddp"),
     ["ColossalAIStrategy", "CollosalAIModelWrapper", "ColossalAIOptimWrapper"]),
])
def test_without_the_package_the_strategy_fails_when_the_runner_is_built(tmp_path, package, strategy, names):
    work_dir = tmp_path / "wd"
    proc = subprocess.run([sys.executable, "-c", _WITHOUT, package, str(work_dir), json.dumps(strategy),
                           json.dumps(names)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 3, proc.stdout + proc.stderr[-3000:]
    assert f"{strategy['type']} needs the package '{package}'" in proc.stdout
    assert f"pip install 'mme-runner[{package}]'" in proc.stdout
    assert not work_dir.exists()
