"""Every hook stage fires, in the documented order, with the documented arguments."""

from __future__ import annotations

import pytest

from mme.hooks import HOOK_STAGES, Hook, Priority, get_priority
from mme.runner import Runner, RunnerConfigError
from mme.testing import get_toy_cfg


class Recorder(Hook):
    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name in HOOK_STAGES:
            calls = object.__getattribute__(self, "calls")

            def record(runner, *args, **kwargs):
                calls.append((name, kwargs))
            return record
        return object.__getattribute__(self, name)


class RecordAll(Hook):
    """Overrides every stage explicitly (so get_triggered_stages lists them all)."""

    def __init__(self):
        self.calls = []


for _stage in HOOK_STAGES:
    def _make(stage):
        def method(self, runner, *args, **kwargs):
            self.calls.append((stage, dict(kwargs)))
        method.__doc__ = f"Record {stage}."
        return method
    setattr(RecordAll, _stage, _make(_stage))


def _first_occurrences(names):
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def test_every_stage_fires_in_order(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, log_level="WARNING",
                      test_dataloader=dict(dataset=dict(type="ToyDataset", size=16), batch_size=8,
                                           sampler=dict(type="DefaultSampler", shuffle=False)),
                      test_cfg=dict(), test_evaluator=dict(type="ToyMetric"))
    hook = RecordAll()
    cfg["custom_hooks"] = [hook]
    runner = Runner.from_cfg(cfg)
    runner.train()
    # resume from the saved checkpoint to fire after_load_checkpoint, then test
    cfg2 = dict(cfg, load_from=str(tmp_path / "epoch_1.pth"))
    hook2 = RecordAll()
    cfg2["custom_hooks"] = [hook2]
    runner2 = Runner.from_cfg(cfg2)
    runner2.test()
    names = [name for name, _ in hook.calls]
    names2 = [name for name, _ in hook2.calls]
    assert set(names) | set(names2) == set(HOOK_STAGES)
    train_stages = HOOK_STAGES[: HOOK_STAGES.index("after_train") + 1]
    assert _first_occurrences(names) == [s for s in train_stages if s != "after_load_checkpoint"] + ["after_run"]
    assert names2 == ["before_run", "after_load_checkpoint", "before_test", "before_test_epoch"] + [
        "before_test_iter", "after_test_iter"] * 2 + ["after_test_epoch", "after_test", "after_run"]
    train_calls = [c for c in hook.calls if c[0] == "after_train_iter"]
    assert len(train_calls) == 8
    assert set(train_calls[0][1]) == {"batch_idx", "data_batch", "outputs"}
    assert "loss" in train_calls[0][1]["outputs"]
    val_epoch = [c for c in hook.calls if c[0] == "after_val_epoch"][0]
    assert "accuracy" in val_epoch[1]["metrics"]
    saves = [c for c in hook.calls if c[0] == "before_save_checkpoint"]
    assert "state_dict" in saves[0][1]["checkpoint"]


def test_priorities_and_names():
    assert [p.value for p in Priority] == [0, 10, 30, 40, 50, 60, 70, 90, 100]
    assert get_priority("very_low") == 90
    with pytest.raises(ValueError, match="unknown priority"):
        get_priority("SOMETIMES")
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        get_priority(101)


def test_hook_stages_are_documented_no_ops():
    for stage in HOOK_STAGES:
        method = getattr(Hook, stage)
        assert method.__doc__, stage
    assert Hook().get_triggered_stages() == []


def test_priority_order_of_calls(tmp_path):
    order = []

    def make(tag, priority):
        class H(Hook):
            def before_run(self, runner):
                order.append(tag)
        h = H()
        h.priority = priority
        return h

    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, log_level="WARNING",
                      custom_hooks=[make("low", "LOW"), make("highest", "HIGHEST"), make("normal1", 50),
                                    make("normal2", "NORMAL"), make("lowest", Priority.LOWEST)])
    runner = Runner.from_cfg(cfg)
    runner.call_hook("before_run")
    assert order == ["highest", "normal1", "normal2", "low", "lowest"]
    with pytest.raises(RunnerConfigError, match="unknown hook stage"):
        runner.call_hook("before_lunch")
