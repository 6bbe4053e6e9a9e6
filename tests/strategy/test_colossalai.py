"""ColossalAIStrategy: two CPU processes (gloo) with the plugins that run without a GPU, exact resume.

ColossalAI 0.5.0 needs torch<=2.5.1, so these tests run only in the hatch env ``colossalai``
(``hatch run colossalai:run tests/strategy/test_colossalai.py``); the main test env has no
ColossalAI and skips them (tests/strategy/test_missing_packages.py covers that env). Only
``torch_ddp`` and ``hybrid`` with ``tp_size=1, pp_size=1, zero_stage=0`` train on the CPU
(docs/colossalai_cpu_findings.md); the others must be refused before training.
"""

from __future__ import annotations

import importlib.util
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mme.dist.testing import run_distributed
from mme.testing import get_toy_cfg
from strategy_support import train_under_torchrun

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("colossalai") is None,
                       reason="colossalai is not installed: it needs torch<=2.5.1; run these tests with "
                              "`hatch run colossalai:run tests/strategy/test_colossalai.py`"),
    # colossalai's import warns about optional kernels/apex/tensornvme; transformers about its own deprecations
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"),
]

PLUGINS = {
    "torch_ddp": "torch_ddp",
    "hybrid": dict(type="hybrid", tp_size=1, pp_size=1, zero_stage=0, precision="fp32"),
}


def _cfg(work_dir: str, plugin, **overrides) -> dict:
    cfg = get_toy_cfg(work_dir, max_epochs=2, launcher="pytorch",
                      strategy=dict(type="ColossalAIStrategy", plugin=plugin),
                      optim_wrapper=dict(type="ColossalAIOptimWrapper",
                                         optimizer=dict(type="SGD", lr=0.1, momentum=0.9)))
    cfg.update(overrides)
    return cfg


def _train_and_resume(root: str, plugin) -> dict:
    from mme.model import CollosalAIModelWrapper
    from mme.optim import ColossalAIOptimWrapper
    from mme.runner import FlexibleRunner
    from mme.strategy import ColossalAIStrategy

    def weights(runner) -> dict:
        return {k: v.tolist() for k, v in runner.strategy.model_state_dict(runner.model).items()}

    full = FlexibleRunner.from_cfg(_cfg(osp.join(root, "full"), plugin))
    assert isinstance(full.strategy, ColossalAIStrategy)
    full.train()
    assert isinstance(full.model, CollosalAIModelWrapper) and full.model.model_wrapper is not None
    assert isinstance(full.optim_wrapper, ColossalAIOptimWrapper) and full.optim_wrapper.booster is not None
    boosted = type(full.model.model_wrapper).__name__
    resumed = FlexibleRunner.from_cfg(_cfg(osp.join(root, "resumed"), plugin,
                                           resume=osp.join(root, "full", "epoch_1.pth")))
    resumed.train()
    # a weights-only load of the final checkpoint, before anything is boosted
    loaded = FlexibleRunner.from_cfg(_cfg(osp.join(root, "loaded"), plugin,
                                          load_from=osp.join(root, "full", "epoch_2.pth")))
    loaded.load_or_resume()
    return {"full": weights(full), "resumed": weights(resumed), "loaded": weights(loaded),
            "lr": resumed.optim_wrapper.get_lr()["lr"], "boosted": boosted}


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_plugin_trains_checkpoints_and_resumes_exactly(tmp_path, plugin):
    results = run_distributed(_train_and_resume, 2, args=(str(tmp_path), PLUGINS[plugin]), timeout=420)
    full = results[0]["full"]
    assert full.keys() == {"net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias"}
    assert results[0]["boosted"] == {"torch_ddp": "TorchDDPModel", "hybrid": "HybridParallelModule"}[plugin]
    assert results[1]["full"] == full  # every rank holds the same weights
    # resuming from epoch 1 continues exactly: fp32 math, the same reduction order, the RNG restored
    assert results[0]["resumed"] == full and results[1]["resumed"] == full
    assert results[0]["loaded"] == full and results[1]["loaded"] == full
    assert results[0]["lr"] == [0.05]  # MultiStepLR's milestone passed before the resume point
    assert full["net.0.weight"] != torch.nn.Linear(2, 8).weight.tolist()
    for epoch in (1, 2):
        ckpt = tmp_path / "full" / f"epoch_{epoch}.pth"
        assert ckpt.is_dir() and (ckpt / "extras.pth").is_file()
        assert (ckpt / "colossalai" / "model.pt").is_file() and (ckpt / "colossalai" / "optimizer.pt").is_file()
        extras = torch.load(ckpt / "extras.pth", weights_only=True)
        assert extras["sharded_by"] == "ColossalAIStrategy" and extras["meta"]["epoch"] == epoch

    out = tmp_path / "epoch_2_full.pth"
    proc = subprocess.run([sys.executable, "-m", "mme.cli", "checkpoint", "consolidate",
                           str(tmp_path / "full" / "epoch_2.pth"), str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = torch.load(out, weights_only=True)["state_dict"]
    assert {k: v.tolist() for k, v in state.items()} == full


@pytest.mark.slow
@pytest.mark.integration
def test_mme_train_under_torchrun(tmp_path):
    proc, work = train_under_torchrun(tmp_path, "dict(type='ColossalAIStrategy', plugin='torch_ddp')",
                                      "dict(type='ColossalAIOptimWrapper', optimizer=dict(type='SGD', lr=0.1))",
                                      timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "strategy: ColossalAIStrategy" in proc.stdout
    assert (work / "epoch_1.pth").is_dir() and (work / "epoch_1.pth" / "extras.pth").is_file()
    assert (work / "last_checkpoint").read_text().strip().endswith("epoch_1.pth")


@pytest.mark.parametrize("plugin, name", [
    ("gemini", "GeminiPlugin"),
    (dict(type="low_level_zero", stage=2), "LowLevelZeroPlugin"),
    ("torch_fsdp", "TorchFSDPPlugin"),
    (dict(type="hybrid", tp_size=2, pp_size=1, precision="fp32"), "HybridParallelPlugin with tp_size=2"),
    (dict(type="hybrid", zero_stage=1, precision="bf16"), "HybridParallelPlugin with zero_stage=1"),
    ("hybrid", r"HybridParallelPlugin with precision=fp16 \(HybridParallelPlugin's default\)"),
])
def test_a_plugin_that_needs_cuda_fails_before_training(tmp_path, plugin, name):
    from mme.runner import FlexibleRunner

    cfg = _cfg(str(tmp_path / "wd"), plugin, launcher="none")
    with pytest.raises(Exception, match=rf"{name}.* needs a CUDA \(or NPU\) device.*plugin='torch_ddp'") as info:
        FlexibleRunner.from_cfg(cfg)
    assert isinstance(info.value, ValueError)  # StrategyConfigError (inside the registry's BuildError)
    assert not (tmp_path / "wd").exists()


def test_the_default_plugin_is_gemini_and_fails_on_the_cpu(tmp_path):
    from mme.runner import FlexibleRunner

    cfg = get_toy_cfg(str(tmp_path / "wd"), strategy=dict(type="ColossalAIStrategy"))
    with pytest.raises(Exception, match=r"GeminiPlugin needs a CUDA \(or NPU\) device"):
        FlexibleRunner.from_cfg(cfg)


@pytest.mark.parametrize("strategy, message", [
    (dict(plugin="torch-ddp"), r"plugin type 'torch-ddp' is not a ColossalAI plugin; did you mean 'torch_ddp'\?"),
    (dict(plugin=dict(type="torch_ddp", find_unused_parameter=True)),
     r"'find_unused_parameter' is not an argument of TorchDDPPlugin; did you mean 'find_unused_parameters'\?"),
    (dict(plugin="torch_ddp", config=dict(parallel=dict(tensor=dict(size=2)))), r"launch takes no config"),
])
def test_bad_strategy_arguments_fail_when_the_runner_is_built(tmp_path, strategy, message):
    from mme.runner import FlexibleRunner

    cfg = get_toy_cfg(str(tmp_path / "wd"), strategy=dict(type="ColossalAIStrategy", **strategy))
    with pytest.raises(Exception, match=message):
        FlexibleRunner.from_cfg(cfg)


def test_the_optim_wrapper_needs_its_booster():
    from mme.optim import ColossalAIOptimWrapper, OptimConfigError

    wrapper = ColossalAIOptimWrapper(torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1))
    assert wrapper.state_dict() == {}
    with pytest.raises(OptimConfigError, match="no booster yet"):
        wrapper.update_params(torch.ones((), requires_grad=True))
