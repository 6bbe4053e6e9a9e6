"""Log lines: the exact formats of training, validation and iteration-based runs."""

from __future__ import annotations

import re

import pytest

from mme.runner import LogProcessor, Runner, RunnerConfigError
from mme.testing import get_toy_cfg

TRAIN_LINE = re.compile(
    r"Epoch\(train\) +\[(\d+)\]\[ ?\d+/8\]  lr: \d\.\d{4}e[-+]\d{2}  eta: \d+:\d{2}:\d{2}  time: \d+\.\d{4}  "
    r"data_time: \d+\.\d{4}  memory: \d+  loss: \d+\.\d{4}$")


def _log_lines(runner):
    with open(runner.logger.log_file) as f:
        return [line.rstrip("\n").split(" - INFO - ", 1)[-1] for line in f]


def test_epoch_based_log_lines(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=10, default_hooks=dict(logger=dict(type="LoggerHook", interval=4)))
    cfg["train_cfg"]["max_epochs"] = 2
    runner = Runner.from_cfg(cfg)
    runner.train()
    lines = _log_lines(runner)
    train = [line for line in lines if line.startswith("Epoch(train)")]
    assert len(train) == 4
    for line in train:
        assert TRAIN_LINE.match(line), line
    assert train[0].startswith("Epoch(train) [1][4/8]")
    val = [line for line in lines if line.startswith("Epoch(val)") and "accuracy" in line]
    assert re.match(r"Epoch\(val\) \[1\]\[4/4\]  accuracy: \d+\.\d{4}  data_time: \d\.\d{4}  time: \d\.\d{4}$",
                    val[0]), val[0]


def test_iteration_based_log_lines(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), by_epoch=False, max_iters=12,
                      default_hooks=dict(logger=dict(type="LoggerHook", interval=5)))
    runner = Runner.from_cfg(cfg)
    runner.train()
    lines = _log_lines(runner)
    train = [line for line in lines if line.startswith("Iter(train)")]
    assert [line.split("  ")[0] for line in train] == ["Iter(train) [ 5/12]", "Iter(train) [10/12]"]
    assert any(line.startswith("Iter(val) [4/4]  accuracy: ") for line in lines)


def test_custom_cfg(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, log_processor=dict(
        window_size=2, custom_cfg=[dict(data_src="loss", method_name="max", window_size="global",
                                        log_name="loss_max")]),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=4)))
    runner = Runner.from_cfg(cfg)
    runner.train()
    train = [line for line in _log_lines(runner) if line.startswith("Epoch(train)")]
    assert "loss_max: " in train[0]
    with pytest.raises(RunnerConfigError, match="method_name"):
        LogProcessor(custom_cfg=[dict(data_src="loss", method_name="median")])
    with pytest.raises(RunnerConfigError, match="twice"):
        LogProcessor(custom_cfg=[dict(data_src="loss"), dict(data_src="loss")])


def test_changing_mean_pattern_or_hierarchy_applies_to_the_next_line():
    from types import SimpleNamespace

    from mme.logging import MessageHub

    hub = MessageHub("lp-cache")
    for value in (1.0, 2.0, 3.0):
        hub.update_scalar("train/loss", value)
    processor = LogProcessor(window_size=3, by_epoch=False)
    runner = SimpleNamespace(message_hub=hub, iter=2, max_iters=10)
    tag, line = processor.get_log_after_iter(runner, 2, "train")
    assert tag["loss"] == 2.0 and line.startswith("Iter(train) [ 3/10]") and "loss: 2.0000" in line  # averaged
    processor.mean_pattern = r"nothing"
    assert processor.get_log_after_iter(runner, 2, "train")[0]["loss"] == 3.0  # now the latest value
    processor.log_with_hierarchy = True
    tag, line = processor.get_log_after_iter(runner, 2, "train")
    assert tag["train/loss"] == 3.0 and "loss" not in tag and "train/loss: 3.0000" in line
