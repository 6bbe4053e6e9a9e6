"""Without ColossalAI (the main test env: it needs torch<=2.5.1) mme imports cleanly and says how to install it."""

from __future__ import annotations

import subprocess
import sys

_WITHOUT_COLOSSALAI = """
import sys
sys.modules['colossalai'] = None  # as if it were not installed (it is not, in the main test env)
import mme.model, mme.optim, mme.strategy, mme.runner
from mme.model import CollosalAIModelWrapper
from mme.optim import ColossalAIOptimWrapper
from mme.registry import MODEL_WRAPPERS, OPTIM_WRAPPERS, STRATEGIES
from mme.runner import FlexibleRunner
from mme.strategy import ColossalAIStrategy, MissingPackageError
from mme.testing import get_toy_cfg
assert STRATEGIES.get('ColossalAIStrategy') is ColossalAIStrategy
assert MODEL_WRAPPERS.get('CollosalAIModelWrapper') is CollosalAIModelWrapper
assert OPTIM_WRAPPERS.get('ColossalAIOptimWrapper') is ColossalAIOptimWrapper
assert not any(name == 'colossalai' or name.startswith('colossalai.') for name in sys.modules
               if sys.modules[name] is not None)
cfg = get_toy_cfg(sys.argv[1], launcher='none', strategy=dict(type='ColossalAIStrategy', plugin='torch_ddp'))
try:
    FlexibleRunner.from_cfg(cfg)
except MissingPackageError as e:
    print('MissingPackageError:', e)
    sys.exit(3)
"""


def test_without_colossalai_mme_imports_and_the_strategy_fails_when_the_runner_is_built(tmp_path):
    work_dir = tmp_path / "wd"
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_COLOSSALAI, str(work_dir)], capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 3, proc.stdout + proc.stderr[-3000:]
    assert "ColossalAIStrategy needs the package 'colossalai'" in proc.stdout
    assert "pip install 'mme-runner[colossalai]'" in proc.stdout
    assert not work_dir.exists()
