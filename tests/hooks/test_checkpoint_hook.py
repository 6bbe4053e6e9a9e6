"""CheckpointHook: intervals, max_keep_ckpts, save_last, save_best rules, s3 out_dir, resume."""

from __future__ import annotations

import os

import pytest
import torch
from hooks_support import BUCKET, s3_args

from mme import fileio
from mme.hooks import CheckpointHook, HookConfigError, HookError
from mme.registry import METRICS
from mme.runner import Runner
from mme.testing import ToyMetric, get_toy_cfg


@METRICS.register_module(force=True)
class ScriptedMetric(ToyMetric):
    """Reports ``score`` from a fixed sequence, one value per evaluation."""

    sequence: list = [1.0, 3.0, 2.0, 5.0, 4.0]
    calls = 0

    def compute_metrics(self, results):
        value = ScriptedMetric.sequence[ScriptedMetric.calls % len(ScriptedMetric.sequence)]
        ScriptedMetric.calls += 1
        return {"score": value, "loss_metric": -value}


def _ckpts(path):
    return sorted(p for p in os.listdir(path) if p.endswith(".pth"))


def _run(tmp_path, max_epochs=5, **hook):
    ScriptedMetric.calls = 0
    cfg = get_toy_cfg(str(tmp_path), max_epochs=max_epochs, size=16, log_level="WARNING",
                      val_evaluator=dict(type="ScriptedMetric"),
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", **hook)))
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_interval_and_max_keep(tmp_path):
    _run(tmp_path, interval=1, max_keep_ckpts=2)
    assert _ckpts(tmp_path) == ["epoch_4.pth", "epoch_5.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == str(tmp_path / "epoch_5.pth")


def test_save_last_off_interval(tmp_path):
    _run(tmp_path, interval=2)
    assert _ckpts(tmp_path) == ["epoch_2.pth", "epoch_4.pth", "epoch_5.pth"]
    _run(tmp_path / "b", interval=2, save_last=False)
    assert _ckpts(tmp_path / "b") == ["epoch_2.pth", "epoch_4.pth"]


@pytest.mark.parametrize("key,rule,best", [("score", "greater", 4), ("score", "less", 1), ("loss_metric", None, 4)])
def test_save_best(tmp_path, key, rule, best):
    runner = _run(tmp_path, interval=10, save_last=False, save_best=key, rule=rule)
    bests = [p for p in _ckpts(tmp_path) if p.startswith("best_")]
    assert bests == [f"best_{key}_epoch_{best}.pth"]
    assert runner.message_hub.get_info("best_ckpt") == str(tmp_path / bests[0])


def test_save_best_auto_and_errors(tmp_path):
    _run(tmp_path, interval=10, save_last=False, save_best="auto", rule="greater")
    assert [p for p in _ckpts(tmp_path) if p.startswith("best_")] == ["best_score_epoch_4.pth"]
    with pytest.raises(HookConfigError, match="'greater' or 'less', got 'bigger'"):
        CheckpointHook(save_best="score", rule="bigger")
    with pytest.raises(HookConfigError, match="interval"):
        CheckpointHook(interval=0)
    with pytest.raises(HookConfigError, match="rule="):
        _run(tmp_path / "x", interval=10, save_best="score")
    with pytest.raises(HookError, match="not among the metrics"):
        _run(tmp_path / "y", interval=10, save_best="accuracy_missing")


def test_published_keys_publish_last_and_best_with_their_hash(tmp_path):
    import hashlib

    runner = _run(tmp_path, interval=10, save_best=["score", "loss_metric"], rule=["greater", "less"],
                  published_keys=["meta", "state_dict"])
    sources = {"epoch_5.pth", runner.message_hub.get_info("best_ckpt_score").split(os.sep)[-1],
               runner.message_hub.get_info("best_ckpt_loss_metric").split(os.sep)[-1]}
    published = [p for p in _ckpts(tmp_path) if "-" in p]
    assert {p.rsplit("-", 1)[0] + ".pth" for p in published} == sources and len(published) == 3
    for name in published:
        data = (tmp_path / name).read_bytes()
        assert name.endswith(f"-{hashlib.sha256(data).hexdigest()[:8]}.pth")  # torch.hub's check_hash convention
        ckpt = torch.load(tmp_path / name, weights_only=True)
        full = torch.load(tmp_path / (name.rsplit("-", 1)[0] + ".pth"), weights_only=True)
        assert set(ckpt) == {"meta", "state_dict"} and set(full) > set(ckpt)
        assert all(torch.equal(ckpt["state_dict"][k], full["state_dict"][k]) for k in full["state_dict"])


def test_published_keys_errors(tmp_path):
    from mme.runner import CheckpointError

    for bad in ([], ["meta", "meta"], [1]):
        with pytest.raises(HookConfigError, match="published_keys"):
            CheckpointHook(published_keys=bad)
    with pytest.raises(CheckpointError, match=r"has no \['weights'\]; its keys are \["):
        _run(tmp_path, max_epochs=1, published_keys="weights")
    assert _ckpts(tmp_path) == ["epoch_1.pth"]  # the checkpoint itself is untouched


def test_best_is_kept_across_resume(tmp_path):
    ScriptedMetric.sequence = [1.0, 3.0, 2.0, 5.0, 4.0]
    _run(tmp_path, max_epochs=3, interval=1, save_best="score", rule="greater")
    assert "best_score_epoch_2.pth" in _ckpts(tmp_path)
    # resume for epochs 4-5: the metric sequence continues with 5.0 then 4.0
    ScriptedMetric.calls = 3
    cfg = get_toy_cfg(str(tmp_path), max_epochs=5, size=16, log_level="WARNING", resume=True,
                      val_evaluator=dict(type="ScriptedMetric"),
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1, save_best="score",
                                                         rule="greater")))
    runner = Runner.from_cfg(cfg)
    assert runner.message_hub.get_info("best_score") is None
    ScriptedMetric.calls = 3
    runner.train()
    bests = [p for p in _ckpts(tmp_path) if p.startswith("best_")]
    assert bests == ["best_score_epoch_4.pth"]
    assert runner.message_hub.get_info("best_score") == 5.0


def test_out_dir_on_s3_and_resume(tmp_path, s3_endpoint):
    args = s3_args(s3_endpoint)
    out_dir = f"s3://{BUCKET}/runs"
    hook = dict(type="CheckpointHook", interval=1, out_dir=out_dir, backend_args=args, max_keep_ckpts=1)
    cfg = get_toy_cfg(str(tmp_path / "wd"), max_epochs=2, size=16, log_level="WARNING",
                      default_hooks=dict(checkpoint=hook))
    Runner.from_cfg(cfg).train()
    remote = f"{out_dir}/wd/epoch_2.pth"
    assert (tmp_path / "wd" / "last_checkpoint").read_text() == remote
    assert fileio.exists(remote, backend_args=args)
    assert not fileio.exists(f"{out_dir}/wd/epoch_1.pth", backend_args=args)
    assert not list(p for p in os.listdir(tmp_path / "wd") if p.endswith(".pth"))
    cfg = get_toy_cfg(str(tmp_path / "wd"), max_epochs=3, size=16, log_level="WARNING", resume=True,
                      default_hooks=dict(checkpoint=hook))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 3
    ckpt_bytes = fileio.get(f"{out_dir}/wd/epoch_3.pth", backend_args=args)
    import io

    assert torch.load(io.BytesIO(ckpt_bytes), weights_only=True)["meta"]["epoch"] == 3


@METRICS.register_module(force=True)
class NamedScoresMetric(ToyMetric):
    """Reports the scripted value under names whose better direction the hook must infer."""

    def compute_metrics(self, results):
        value = ScriptedMetric.sequence[ScriptedMetric.calls % len(ScriptedMetric.sequence)]
        ScriptedMetric.calls += 1
        return {"accuracy": value, "top1": value, "val_loss": -value}


@pytest.mark.parametrize("rule, sequence, best", [("greater", [1.0, 3.0, 3.0, 2.0], 2), ("less", [3.0, 1.0, 1.0, 2.0], 2)])
def test_a_tie_does_not_replace_the_best_checkpoint(tmp_path, monkeypatch, rule, sequence, best):
    monkeypatch.setattr(ScriptedMetric, "sequence", sequence)
    _run(tmp_path, max_epochs=4, interval=10, save_last=False, save_best="score", rule=rule)
    assert [p for p in _ckpts(tmp_path) if p.startswith("best_")] == [f"best_score_epoch_{best}.pth"]


def test_better_direction_is_inferred_from_the_metric_name(tmp_path, monkeypatch):
    monkeypatch.setattr(ScriptedMetric, "sequence", [1.0, 3.0, 2.0])
    ScriptedMetric.calls = 0
    cfg = get_toy_cfg(str(tmp_path), max_epochs=3, size=16, log_level="WARNING",
                      val_evaluator=dict(type="NamedScoresMetric"),
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=10, save_last=False,
                                                         save_best=["accuracy", "top1", "val_loss"])))
    Runner.from_cfg(cfg).train()
    assert [p for p in _ckpts(tmp_path) if p.startswith("best_")] == [
        "best_accuracy_epoch_2.pth", "best_top1_epoch_2.pth", "best_val_loss_epoch_2.pth"]


def test_an_epoch_checkpoint_holds_the_schedulers_as_stepped_for_that_epoch(tmp_path):
    # without validation after the epoch the save is not deferred: it must still come after
    # ParamSchedulerHook has stepped the epoch-based schedulers, or a resumed run is one step behind
    cfg = get_toy_cfg(str(tmp_path), max_epochs=2, size=16, log_level="WARNING",
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)))
    cfg["train_cfg"]["val_interval"] = 100
    cfg["param_scheduler"] = dict(type="MultiStepLR", milestones=[1], gamma=0.5, by_epoch=True, end=100)
    Runner.from_cfg(cfg).train()
    for epoch in (1, 2):
        ckpt = torch.load(tmp_path / f"epoch_{epoch}.pth", weights_only=True)
        assert [s["last_step"] for s in ckpt["param_schedulers"]] == [epoch]
