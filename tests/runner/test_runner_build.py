"""Building a Runner: from dicts, from a config file, work_dir layout, hooks, bad input."""

from __future__ import annotations

import json
import os

import pytest
import torch

from mme.config import Config
from mme.hooks import CheckpointHook, Hook, LoggerHook, ParamSchedulerHook
from mme.logging import MessageHub
from mme.runner import Runner, RunnerConfigError, RunnerStateError
from mme.testing import ToyModel, get_toy_cfg


def _quiet(cfg: dict) -> dict:
    cfg["log_level"] = "WARNING"
    return cfg


def test_runner_from_dicts_trains_and_lays_out_work_dir(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path / "wd"), max_epochs=2))
    runner = Runner.from_cfg(cfg)
    runner.train()
    wd = tmp_path / "wd"
    log_dir = wd / runner.timestamp
    assert (log_dir / f"{runner.timestamp}.log").is_file()
    scalars = (log_dir / "vis_data" / "scalars.json").read_text().splitlines()
    records = [json.loads(line) for line in scalars]
    assert any("loss" in r and "lr" in r for r in records)
    assert any("accuracy" in r for r in records)
    assert (log_dir / "vis_data" / "config.py").is_file()
    assert (wd / "epoch_1.pth").is_file() and (wd / "epoch_2.pth").is_file()
    assert (wd / "last_checkpoint").read_text().strip() == str(wd / "epoch_2.pth")
    assert runner.epoch == 2 and runner.iter == 16


def test_runner_from_config_file(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path / "wd"), max_epochs=1))
    path = tmp_path / "toy_config.py"
    Config(cfg).dump(str(path))
    loaded = Config.fromfile(str(path))
    runner = Runner.from_cfg(loaded)
    assert runner.experiment_name.startswith("toy_config_")
    runner.train()
    assert (tmp_path / "wd" / "toy_config.py").is_file()
    metrics = runner.val()
    assert metrics["accuracy"] > 50


def test_two_runners_in_one_process(tmp_path):
    first = Runner(**_quiet(get_toy_cfg(str(tmp_path / "a"), max_epochs=1)))
    second = Runner(**_quiet(get_toy_cfg(str(tmp_path / "b"), max_epochs=1)))
    first.train()
    second.train()
    assert first.message_hub is not second.message_hub
    assert first.logger is not second.logger
    assert MessageHub.get_current_instance() is second.message_hub
    assert (tmp_path / "a" / "epoch_1.pth").is_file() and (tmp_path / "b" / "epoch_1.pth").is_file()


def test_default_hooks_overridden_and_removed_by_key(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path), default_hooks=dict(
        logger=dict(type="LoggerHook", interval=3), checkpoint=None)))
    runner = Runner(**cfg)
    names = [type(h).__name__ for h in runner.hooks]
    assert "CheckpointHook" not in names
    logger_hook = next(h for h in runner.hooks if isinstance(h, LoggerHook))
    assert logger_hook.interval == 3
    assert names == ["RuntimeInfoHook", "IterTimerHook", "DistSamplerSeedHook", "LoggerHook", "ParamSchedulerHook"]


def test_custom_hooks_sorted_by_priority(tmp_path):
    class A(Hook):
        pass

    class B(Hook):
        priority = "LOWEST"

    cfg = _quiet(get_toy_cfg(str(tmp_path), custom_hooks=[B(), dict(type="EmptyCacheHook", priority="HIGHEST")]))
    runner = Runner(**cfg)
    runner.register_hook(A(), priority=65)
    names = [type(h).__name__ for h in runner.hooks]
    assert names[0] == "EmptyCacheHook"
    assert names.index("A") == names.index("ParamSchedulerHook") - 1
    assert names[-1] == "B"
    assert names.index("CheckpointHook") < names.index("B")
    info = runner.get_hooks_info()
    assert "(VERY_HIGH   ) RuntimeInfoHook" in info


@pytest.mark.parametrize("drop", ["train_cfg", "optim_wrapper", "train_dataloader"])
def test_partial_training_group_is_an_error(tmp_path, drop):
    cfg = _quiet(get_toy_cfg(str(tmp_path)))
    cfg.pop(drop)
    if drop == "optim_wrapper":
        cfg.pop("param_scheduler")
    with pytest.raises(RunnerConfigError, match=drop):
        Runner(**cfg)
    assert not (tmp_path / "last_checkpoint").exists()


def test_val_dataloader_without_evaluator_is_an_error(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path)))
    cfg.pop("val_evaluator")
    with pytest.raises(RunnerConfigError, match="val_evaluator"):
        Runner(**cfg)


def test_unknown_hook_type_is_an_error_naming_the_hook(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path), custom_hooks=[dict(type="NoSuchHook")]))
    with pytest.raises(RunnerConfigError, match=r"custom_hooks\.0.*NoSuchHook"):
        Runner(**cfg)
    cfg = _quiet(get_toy_cfg(str(tmp_path), default_hooks=dict(logger=dict(type="LogerHook"))))
    with pytest.raises(RunnerConfigError, match="default_hooks.logger"):
        Runner(**cfg)


def test_train_cfg_errors(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path)))
    cfg["train_cfg"] = dict(by_epoch=True)
    with pytest.raises(RunnerConfigError, match="max_epochs"):
        Runner(**cfg)
    cfg["train_cfg"] = dict(by_epoch=True, max_epochs=1, bogus=1)
    with pytest.raises(RunnerConfigError, match="train_cfg: EpochBasedTrainLoop has no argument 'bogus'"):
        Runner(**cfg)


def test_bad_launcher_and_missing_loops(tmp_path):
    with pytest.raises(RunnerConfigError, match="launcher"):
        Runner(model=ToyModel(), work_dir=str(tmp_path), launcher="ssh")
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level="WARNING")
    with pytest.raises(RunnerStateError, match="train_dataloader"):
        runner.train()
    with pytest.raises(RunnerStateError, match="val_dataloader"):
        runner.val()
    with pytest.raises(RunnerStateError, match="test_dataloader"):
        runner.test()


def test_iter_based_training_names_checkpoints_by_iteration(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path), by_epoch=False, max_iters=6, default_hooks=dict(
        checkpoint=dict(type="CheckpointHook", interval=3, by_epoch=False))))
    runner = Runner(**cfg)
    runner.train()
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".pth")) == ["iter_3.pth", "iter_6.pth"]
    assert runner.iter == 6
    # the default CheckpointHook counts epochs, which never end here: only the last one is saved
    cfg = _quiet(get_toy_cfg(str(tmp_path / "b"), by_epoch=False, max_iters=6))
    Runner(**cfg).train()
    assert sorted(p for p in os.listdir(tmp_path / "b") if p.endswith(".pth")) == ["iter_6.pth"]


def test_auto_scale_lr_and_randomness(tmp_path):
    cfg = _quiet(get_toy_cfg(str(tmp_path), auto_scale_lr=dict(enable=True, base_batch_size=16),
                             randomness=dict(seed=123, deterministic=False)))
    cfg["param_scheduler"] = None
    runner = Runner(**cfg)
    assert runner.seed == 123
    runner.train()
    assert runner.optim_wrapper.optimizer.param_groups[0]["lr"] == pytest.approx(0.05)
    torch.manual_seed(0)


def test_load_from_loads_weights(tmp_path):
    trained = Runner(**_quiet(get_toy_cfg(str(tmp_path / "a"), max_epochs=1)))
    trained.train()
    runner = Runner(**_quiet(get_toy_cfg(str(tmp_path / "b"), load_from=str(tmp_path / "a" / "epoch_1.pth"))))
    runner.val()
    for key, value in trained.model.state_dict().items():
        assert torch.equal(value, runner.model.state_dict()[key])


def test_scheduler_and_checkpoint_hooks_present(tmp_path):
    runner = Runner(**_quiet(get_toy_cfg(str(tmp_path))))
    assert any(isinstance(h, ParamSchedulerHook) for h in runner.hooks)
    assert any(isinstance(h, CheckpointHook) for h in runner.hooks)


def test_two_runners_same_work_dir_keep_separate_logs(tmp_path):
    first = Runner(**_quiet(get_toy_cfg(str(tmp_path), max_epochs=1)))
    second = Runner(**_quiet(get_toy_cfg(str(tmp_path), max_epochs=1)))
    assert first.log_dir != second.log_dir
    first.train()
    second.train()
    assert first.logger.log_file != second.logger.log_file


def test_default_hook_without_type_updates_the_default(tmp_path):
    runner = Runner(**_quiet(get_toy_cfg(str(tmp_path), default_hooks=dict(checkpoint=dict(interval=4)))))
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    assert hook.interval == 4
