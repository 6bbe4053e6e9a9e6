"""EMAHook stage by stage on a stand-in runner: when it averages, what it swaps, what it saves."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from mme.hooks import EMAHook, HookConfigError
from mme.model import ExponentialMovingAverage, MomentumAnnealingEMA
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1, bias=False)
        self.bn = nn.BatchNorm1d(1)


def _set(model, value):
    with torch.no_grad():
        model.fc.weight.fill_(value)


def _w(model) -> float:
    return model.fc.weight.item()


def _runner(model, **kw):
    args = dict(model=model, epoch=0, iter=0, max_epochs=5, max_iters=20, is_resuming=False)
    args.update(kw)
    return SimpleNamespace(**args)


@pytest.mark.parametrize("kwargs, message", [
    ({"begin_iter": -1}, "must be >= 0, got -1/0"),
    ({"begin_epoch": -2}, "must be >= 0, got 0/-2"),
    ({"begin_iter": 1, "begin_epoch": 1}, "not both"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(HookConfigError, match=message):
        EMAHook(**kwargs)


def test_before_run_builds_the_average_of_the_unwrapped_model():
    model = Net()
    hook = EMAHook(ema_type="MomentumAnnealingEMA", momentum=0.25, gamma=7)
    hook.before_run(_runner(model))
    assert isinstance(hook.ema_model, MomentumAnnealingEMA)
    assert (hook.ema_model.momentum, hook.ema_model.gamma) == (0.25, 7)
    assert hook.src_model is model
    hook.before_run(_runner(nn.parallel.DataParallel(model)))  # a model wrapper
    assert hook.src_model is model
    default = EMAHook()
    default.before_run(_runner(model))
    assert type(default.ema_model) is ExponentialMovingAverage and not default.strict_load


@pytest.mark.parametrize("kwargs, runner_kw, message", [
    ({"begin_epoch": 6}, {}, "begin_epoch=6 is after max_epochs=5"),
    ({"begin_iter": 21}, {}, "begin_iter=21 is after max_iters=20"),
])
def test_before_train_rejects_a_start_after_the_end(kwargs, runner_kw, message):
    with pytest.raises(HookConfigError, match=message):
        EMAHook(**kwargs).before_train(_runner(Net(), **runner_kw))


def test_before_train_accepts_a_start_at_the_end():
    EMAHook(begin_epoch=5).before_train(_runner(Net()))
    EMAHook(begin_iter=20).before_train(_runner(Net()))
    EMAHook().before_train(_runner(Net(), max_iters=0))


def _train(hook, model, values, by="iter"):
    """One training iteration per value (the model's weight set to it); the EMA's weight after each."""
    runner = _runner(model)
    hook.before_run(runner)
    seen = []
    for i, value in enumerate(values):
        _set(model, value)
        setattr(runner, by, i)
        hook.after_train_iter(runner, i)
        seen.append(_w(hook.ema_model.module))
    return seen


def test_averaging_starts_at_begin_iter_and_copies_the_model_before():
    model = Net()
    # iterations 0 and 1 copy; iteration 2 (the 3rd) starts averaging, whose first update copies
    seen = _train(EMAHook(momentum=0.5, begin_iter=3), model, [1.0, 2.0, 4.0, 8.0, 0.0])
    assert seen == [1.0, 2.0, 4.0, 6.0, 3.0]


def test_averaging_from_the_first_iteration_by_default():
    seen = _train(EMAHook(momentum=0.5), Net(), [1.0, 3.0, 5.0])
    assert seen == [1.0, 2.0, 3.5]


def test_averaging_starts_at_begin_epoch():
    seen = _train(EMAHook(momentum=0.5, begin_epoch=2), Net(), [1.0, 2.0, 4.0, 8.0], by="epoch")
    assert seen == [1.0, 2.0, 3.0, 5.5]  # epoch 0 copies; from epoch 1 (the 2nd) on it averages


def test_before_starting_the_copy_includes_buffers():
    model = Net()
    hook = EMAHook(momentum=0.5, begin_iter=5)
    hook.before_run(_runner(model))
    model.bn.running_mean.fill_(3.0)
    hook.after_train_iter(_runner(model), 0)
    assert hook.ema_model.module.bn.running_mean.item() == 3.0


@pytest.mark.parametrize("stage", ["val", "test"])
def test_evaluation_runs_with_the_average_and_training_resumes_with_the_raw_weights(stage):
    model = Net()
    hook = EMAHook(momentum=0.5)
    _train(hook, model, [2.0, 4.0])  # EMA 3, model 4
    runner = _runner(model)
    getattr(hook, f"before_{stage}_epoch")(runner)
    assert _w(model) == 3.0 and _w(hook.ema_model.module) == 4.0
    getattr(hook, f"after_{stage}_epoch")(runner, {"acc": 1.0})
    assert _w(model) == 4.0 and _w(hook.ema_model.module) == 3.0


def test_with_update_buffers_the_statistics_are_swapped_too():
    model = Net()
    hook = EMAHook(momentum=0.5, update_buffers=True)
    hook.before_run(_runner(model))
    model.bn.running_mean.fill_(2.0)
    hook.after_train_iter(_runner(model), 0)
    model.bn.running_mean.fill_(6.0)
    hook.after_train_iter(_runner(model, iter=1), 1)
    assert hook.ema_model.module.bn.running_mean.item() == 4.0
    hook.before_val_epoch(_runner(model))
    assert model.bn.running_mean.item() == 4.0 and hook.ema_model.module.bn.running_mean.item() == 6.0
    assert model.bn.num_batches_tracked.item() == 0  # integer buffers are not swapped
    hook.after_val_epoch(_runner(model))
    assert model.bn.running_mean.item() == 6.0


def test_checkpoints_hold_the_average_as_the_model_and_resume_swaps_back():
    model = Net()
    hook = EMAHook(momentum=0.5)
    _train(hook, model, [2.0, 4.0])  # EMA 3, model 4
    checkpoint = {"state_dict": {k: v.clone() for k, v in model.state_dict().items()}}
    hook.before_save_checkpoint(_runner(model), checkpoint)
    assert checkpoint["state_dict"]["fc.weight"].item() == 3.0
    assert checkpoint["ema_state_dict"]["module.fc.weight"].item() == 4.0
    assert checkpoint["ema_state_dict"]["steps"].item() == 2  # not a model key: stays
    assert set(checkpoint["state_dict"]) == set(model.state_dict())

    resumed_model = Net()
    resumed = EMAHook(momentum=0.5)
    resumed.before_run(_runner(resumed_model))
    loaded = {k: {n: t.clone() for n, t in v.items()} for k, v in checkpoint.items()}
    resumed.after_load_checkpoint(_runner(resumed_model, is_resuming=True), loaded)
    assert loaded["state_dict"]["fc.weight"].item() == 4.0  # swapped back: the raw weights get trained on
    assert _w(resumed.ema_model.module) == 3.0 and resumed.ema_model.steps.item() == 2


def test_loading_weights_without_resuming_starts_the_average_from_them():
    model = Net()
    hook = EMAHook(momentum=0.5)
    hook.before_run(_runner(model))
    source = Net()
    _set(source, 7.0)
    checkpoint = {"state_dict": source.state_dict(), "ema_state_dict": {"module.fc.weight": torch.ones(1, 1)}}
    hook.after_load_checkpoint(_runner(model, is_resuming=False), checkpoint)
    assert _w(hook.ema_model.module) == 7.0
    assert checkpoint["state_dict"]["fc.weight"].item() == 7.0  # not swapped
    hook.ema_model.module.fc.weight.data.fill_(1.0)
    assert source.fc.weight.item() == 7.0  # the EMA got a copy
    # without an EMA in the checkpoint the same holds when resuming
    hook.after_load_checkpoint(_runner(model, is_resuming=True), {"state_dict": source.state_dict()})
    assert _w(hook.ema_model.module) == 7.0


def test_strict_load_is_honoured():
    model = Net()
    hook = EMAHook(momentum=0.5, strict_load=True)
    hook.before_run(_runner(model))
    with pytest.raises(RuntimeError, match="Missing key"):
        hook.after_load_checkpoint(_runner(model), {"state_dict": {"fc.weight": torch.ones(1, 1)}})
    lenient = EMAHook(momentum=0.5)
    lenient.before_run(_runner(model))
    lenient.after_load_checkpoint(_runner(model), {"state_dict": {"fc.weight": torch.ones(1, 1)}})
    assert _w(lenient.ema_model.module) == 1.0


def test_integer_buffers_are_not_swapped():
    model = Net()
    hook = EMAHook(momentum=0.5, update_buffers=True)
    hook.before_run(_runner(model))
    model.bn.num_batches_tracked.fill_(5)
    hook.after_train_iter(_runner(model), 0)  # the average copies integer buffers: 5
    model.bn.num_batches_tracked.fill_(7)
    hook.before_val_epoch(_runner(model))
    assert model.bn.num_batches_tracked.item() == 7
    assert hook.ema_model.module.bn.num_batches_tracked.item() == 5


def test_a_checkpoint_without_some_model_keys_swaps_the_others():
    model = Net()
    hook = EMAHook(momentum=0.5)
    _train(hook, model, [2.0, 4.0])  # EMA 3, model 4
    checkpoint = {"state_dict": {"fc.weight": model.fc.weight.detach().clone()}}  # no BatchNorm keys
    hook.before_save_checkpoint(_runner(model), checkpoint)
    assert checkpoint["state_dict"]["fc.weight"].item() == 3.0
    assert set(checkpoint["state_dict"]) == {"fc.weight"}
    assert checkpoint["ema_state_dict"]["module.fc.weight"].item() == 4.0
    assert "module.bn.running_mean" in checkpoint["ema_state_dict"]
