"""SyncBuffersHook across 2 real gloo processes whose BatchNorm statistics differ."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from mme.dist.testing import run_distributed
from mme.hooks import SyncBuffersHook
from torch import nn


def _model_trained_on_rank_data(count_batches: bool = False) -> nn.Module:
    """A BatchNorm model whose running statistics come from this rank's own batches.

    Rank ``r`` trains on ``3 + 2r`` batches. Without ``count_batches`` the BatchNorm keeps no
    ``num_batches_tracked`` (its int64 buffer), so that every buffer is a floating-point statistic.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).train()
    if not count_batches:
        model[1].num_batches_tracked = None
    rank = torch.distributed.get_rank()
    g = torch.Generator().manual_seed(rank)
    with torch.no_grad():
        for _ in range(3 + 2 * rank):
            model(torch.randn(8, 3, generator=g) * (rank + 1) + 5 * rank)
    return model


def _stats(model: nn.Module) -> dict:
    bn = model[1]
    batches = None if bn.num_batches_tracked is None else bn.num_batches_tracked.item()
    return {"mean": bn.running_mean.tolist(), "var": bn.running_var.tolist(), "batches": batches}


def _rank() -> float:
    return float(torch.distributed.get_rank())


def _epochs(count_batches: bool = False):
    """Epoch-based training: sync after each epoch; validate after it and inside the next one."""
    model = _model_trained_on_rank_data(count_batches)
    runner = SimpleNamespace(model=model, iter=4, epoch=0)
    hook = SyncBuffersHook()
    before = _stats(model)
    hook.before_train_epoch(runner)
    hook.after_train_epoch(runner)
    after = _stats(model)
    # Validation right after the epoch: the buffers are in sync already. Changing them locally
    # shows whether the hook reduces a second time (it should not).
    model[1].running_mean.fill_(_rank())
    hook.before_val_epoch(runner)
    val = model[1].running_mean.tolist()
    # The next epoch trains on (changing the statistics); a validation before it ends syncs them.
    runner.epoch, runner.iter = 1, 6
    hook.before_train_epoch(runner)
    model[1].running_var.fill_(_rank() + 1)
    hook.before_val_epoch(runner)
    return {"before": before, "after": after, "val": val, "next_epoch": model[1].running_var.tolist(),
            "distributed": hook.distributed}


def _iteration_based():
    """IterBasedTrainLoop: before_train_epoch once, then a validation every few iterations."""
    model = _model_trained_on_rank_data()
    runner = SimpleNamespace(model=model, iter=0, epoch=0)
    hook = SyncBuffersHook()
    hook.before_train_epoch(runner)
    runner.iter = 2
    hook.before_val_epoch(runner)
    first = model[1].running_mean.tolist()
    runner.iter = 4
    model[1].running_mean.fill_(_rank())  # trained on since
    hook.before_val_epoch(runner)
    return {"first": first, "second": model[1].running_mean.tolist()}


def _validation_only():
    model = _model_trained_on_rank_data()
    before = _stats(model)
    SyncBuffersHook().before_val_epoch(SimpleNamespace(model=model, iter=0, epoch=0))
    return {"before": before, "after": _stats(model)}


def _mean_of(out, key):
    return [(a + b) / 2 for a, b in zip(out[0]["before"][key], out[1]["before"][key])]


def test_after_train_epoch_averages_the_buffers_over_ranks():
    out = run_distributed(_epochs, world_size=2, timeout=120)
    assert out[0]["before"]["mean"] != out[1]["before"]["mean"]
    assert out[0]["after"] == out[1]["after"]
    for key in ("mean", "var"):
        assert torch.allclose(torch.tensor(out[0]["after"][key]), torch.tensor(_mean_of(out, key)), atol=1e-6)
    assert [out[0]["val"], out[1]["val"]] == [[0.0] * 4, [1.0] * 4]  # no second reduction
    assert out[0]["next_epoch"] == out[1]["next_epoch"] == [1.5] * 4
    assert out[0]["distributed"] and out[1]["distributed"]
    assert SyncBuffersHook().distributed is False  # here: no process group


def test_before_val_epoch_averages_when_training_did_not_run():
    out = run_distributed(_validation_only, world_size=2, timeout=120)
    assert out[0]["before"]["mean"] != out[1]["before"]["mean"]
    assert out[0]["after"] == out[1]["after"]
    assert torch.allclose(torch.tensor(out[1]["after"]["var"]), torch.tensor(_mean_of(out, "var")), atol=1e-6)


def test_every_validation_of_iteration_based_training_is_synced():
    out = run_distributed(_iteration_based, world_size=2, timeout=120)
    assert out[0]["first"] == out[1]["first"]
    assert out[0]["second"] == out[1]["second"] == [0.5] * 4


def test_a_stock_batchnorm_with_its_batch_counter_is_synced():
    out = run_distributed(_epochs, world_size=2, args=(True,), timeout=120)
    assert [out[0]["before"]["batches"], out[1]["before"]["batches"]] == [3, 5]
    assert out[0]["after"] == out[1]["after"]
    assert torch.allclose(torch.tensor(out[0]["after"]["mean"]), torch.tensor(_mean_of(out, "mean")), atol=1e-6)
    assert out[0]["after"]["batches"] == 5  # an integer buffer takes the largest value
