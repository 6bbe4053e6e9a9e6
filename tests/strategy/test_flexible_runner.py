"""FlexibleRunner with the built-in strategies: the same machinery as the Runner, the strategy from the config."""

from __future__ import annotations

import pytest
import torch

from mme.dist.testing import run_distributed
from mme.runner import FlexibleRunner, Runner, RunnerConfigError
from mme.strategy import DDPStrategy, SingleDeviceStrategy
from mme.testing import get_toy_cfg


def _weights(runner) -> dict[str, torch.Tensor]:
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_single_device_strategy_trains_like_the_runner(tmp_path):
    plain = Runner.from_cfg(get_toy_cfg(str(tmp_path / "plain"), max_epochs=2))
    plain.train()
    flexible = FlexibleRunner.from_cfg(get_toy_cfg(str(tmp_path / "flex"), max_epochs=2,
                                                   strategy=dict(type="SingleDeviceStrategy")))
    assert isinstance(flexible.strategy, SingleDeviceStrategy)
    flexible.train()
    a, b = _weights(plain), _weights(flexible)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (tmp_path / "flex" / "epoch_2.pth").is_file()


def test_runner_rejects_the_strategy_key(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), strategy=dict(type="DDPStrategy"))
    with pytest.raises(RunnerConfigError, match="'strategy' is read by FlexibleRunner.*runner_type='FlexibleRunner'"):
        Runner.from_cfg(cfg)
    assert not tmp_path.joinpath("wd").exists()


@pytest.mark.parametrize("key, value", [("model_wrapper_cfg", dict(type="MMDistributedDataParallel")),
                                        ("find_unused_parameters", True), ("sync_bn", "torch")])
def test_flexible_runner_rejects_the_plain_runner_ddp_keys(tmp_path, key, value):
    cfg = get_toy_cfg(str(tmp_path / "wd"), **{key: value})
    with pytest.raises(RunnerConfigError, match=f"'{key}' is read by the plain Runner.*DDPStrategy"):
        FlexibleRunner.from_cfg(cfg)
    assert not (tmp_path / "wd").exists()


def test_unknown_strategy_type_and_argument_fail_before_building(tmp_path):
    with pytest.raises(RunnerConfigError, match=r"strategy.*'DDPStrategi'.*DDPStrategy"):
        FlexibleRunner.from_cfg(get_toy_cfg(str(tmp_path / "a"), strategy=dict(type="DDPStrategi")))
    with pytest.raises(RunnerConfigError, match=r"strategy.*'find_unused_parameter'.*find_unused_parameters"):
        FlexibleRunner.from_cfg(get_toy_cfg(str(tmp_path / "b"), strategy=dict(
            type="DDPStrategy", find_unused_parameter=True)))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize("strategy", ["FSDPStrategy", "DeepSpeedStrategy", "ColossalAIStrategy"])
def test_a_hook_that_copies_the_model_is_refused_under_a_sharding_strategy(tmp_path, strategy):
    """EMAHook failed late under each (FSDP: deepcopy at before_run; DeepSpeed ZeRO-3: a size mismatch at the
    first iteration; ZeRO-2 and ColossalAI: no state_dict at the first checkpoint, after an epoch)."""
    from mme.hooks import EMAHook

    for hook in (dict(type="EMAHook", momentum=0.01), EMAHook()):
        cfg = get_toy_cfg(str(tmp_path / "wd"), launcher="pytorch", strategy=dict(type=strategy), custom_hooks=[hook])
        with pytest.raises(RunnerConfigError) as info:
            FlexibleRunner.from_cfg(cfg)
        assert info.value.problems == (("custom_hooks.0", f"EMAHook keeps a whole copy of the model, which {strategy} "
                                        "splits over the ranks (in memory or in its checkpoints): not supported; "
                                        "remove the hook or train with DDPStrategy"),)
        assert not (tmp_path / "wd").exists()


def test_a_multi_process_strategy_without_a_launcher_is_an_error(tmp_path):
    with pytest.raises(RunnerConfigError, match="DDPStrategy trains on several processes.*--launcher pytorch"):
        FlexibleRunner.from_cfg(get_toy_cfg(str(tmp_path), strategy=dict(type="DDPStrategy"), launcher="none"))


def _ddp_train(work_dir: str) -> dict:
    cfg = get_toy_cfg(work_dir, max_epochs=2, strategy=dict(type="DDPStrategy"), launcher="pytorch")
    runner = FlexibleRunner.from_cfg(cfg)
    assert isinstance(runner.strategy, DDPStrategy)
    runner.train()
    return {k: v.tolist() for k, v in _weights(runner).items()}


def test_ddp_strategy_on_two_processes_keeps_ranks_equal(tmp_path):
    results = run_distributed(_ddp_train, 2, args=(str(tmp_path / "wd"),), timeout=240)
    assert results[0] == results[1]
    saved = torch.load(tmp_path / "wd" / "epoch_2.pth", weights_only=True)["state_dict"]
    assert {k: v.tolist() for k, v in saved.items()} == results[0]


def test_runner_type_flexible_runner_builds_through_the_registry(tmp_path):
    import subprocess
    import sys

    # a fresh interpreter that imports only the Runner: FlexibleRunner must be registered already
    code = ("from mme.registry import RUNNERS\nfrom mme.runner import Runner\nfrom mme.testing import get_toy_cfg\n"
            f"cfg = get_toy_cfg({str(tmp_path)!r}, runner_type='FlexibleRunner',\n"
            "                  strategy=dict(type='SingleDeviceStrategy'))\n"
            "print(type(RUNNERS.build(cfg)).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "FlexibleRunner"
