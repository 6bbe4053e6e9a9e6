"""CheckpointHook: intervals, max_keep_ckpts, save_last, save_best rules, s3 out_dir, resume."""

from __future__ import annotations

import logging
import os

import pytest
import torch
from hooks_support import BUCKET, s3_args

from mme import fileio
from mme.hooks import CheckpointHook, HookConfigError, HookError
from mme.hooks._checkpoint import _remove_checkpoint
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


# -- details pinned down on a small stand-in runner (fast, no training) ----------------------------
class _Hub:
    def __init__(self, info=None):
        self.runtime_info = dict(info or {})

    def get_info(self, key, default=None):
        return self.runtime_info.get(key, default)

    def update_info(self, key, value):
        self.runtime_info[key] = value


class _Loop:
    def __init__(self, by_epoch=True, will_validate=False):
        self.by_epoch = by_epoch
        self._will_validate = will_validate

    def will_validate(self):
        return self._will_validate


class _Runner:
    """What CheckpointHook reads from a runner; save_checkpoint writes a small file."""

    def __init__(self, work_dir, epoch=0, it=0, max_epochs=10, max_iters=100, loop=None, info=None,
                 is_training=True):
        self.work_dir = str(work_dir)
        self.epoch, self.iter, self.max_epochs, self.max_iters = epoch, it, max_epochs, max_iters
        self._train_loop = loop if loop is not None else _Loop()
        self.message_hub = _Hub(info)
        self.logger = logging.getLogger("test_checkpoint_hook_mutants")
        self.is_training = is_training
        self.saved = []

    @property
    def train_progress(self):
        return {"epoch": self.epoch + 1, "iter": self.iter + 1}

    def save_checkpoint(self, out_dir, filename, **kwargs):
        path = os.path.join(str(out_dir), filename)
        os.makedirs(str(out_dir), exist_ok=True)
        with open(path, "w") as f:
            f.write(filename)
        self.saved.append((filename, kwargs))
        return path


def _pths(path):
    return sorted(p for p in os.listdir(path) if p.endswith(".pth"))


# -- _remove_checkpoint ---------------------------------------------------------------------------
def test_remove_checkpoint_removes_a_file_a_directory_and_ignores_a_missing_path(tmp_path):
    f = tmp_path / "a.pth"
    f.write_text("x")
    d = tmp_path / "sharded.pth"
    d.mkdir()
    (d / "part0").write_text("y")
    _remove_checkpoint(str(f), None)
    _remove_checkpoint(str(d), None)
    assert not f.exists() and not d.exists()
    _remove_checkpoint(str(tmp_path / "missing.pth"), None)  # no error
    assert os.listdir(tmp_path) == []


# -- rules ----------------------------------------------------------------------------------------
def test_default_keys_are_mmengines():
    assert CheckpointHook.default_greater_keys == (
        "acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc")
    assert CheckpointHook.default_less_keys == ("loss",)


@pytest.mark.parametrize("key", ["val/AR@100", "roc_auc", "precision_macro", "coco/bbox_mAP", "mDice",
                                 "mIoU", "top1", "accuracy", "mAcc", "aAcc"])
def test_greater_is_inferred_from_each_default_key(key):
    hook = CheckpointHook()
    assert hook._rule_for(key, None) == "greater"


def test_less_is_inferred_and_explicit_rules_and_keys_win():
    hook = CheckpointHook()
    assert hook._rule_for("val_loss", None) == "less"
    assert hook._rule_for("val_loss", "greater") == "greater"
    with pytest.raises(HookConfigError, match="cannot tell"):
        hook._rule_for("f1", None)
    custom = CheckpointHook(greater_keys=["F1"], less_keys=["ERR"])
    assert custom._rule_for("val/f1", None) == "greater"
    assert custom._rule_for("top_err", None) == "less"
    with pytest.raises(HookConfigError, match="cannot tell"):
        custom._rule_for("accuracy", None)


# -- constructor checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("interval", [0, -2, 1.5, "2"])
def test_bad_intervals_are_refused(interval):
    with pytest.raises(HookConfigError, match="interval must be"):
        CheckpointHook(interval=interval)


@pytest.mark.parametrize("interval", [-1, 1, 3])
def test_good_intervals_are_kept(interval):
    assert CheckpointHook(interval=interval).interval == interval


def test_save_begin_checks():
    assert CheckpointHook(save_begin=0).save_begin == 0
    assert CheckpointHook(save_begin=3).save_begin == 3
    for bad in (-1, 1.0, "1"):
        with pytest.raises(HookConfigError, match="save_begin must be"):
            CheckpointHook(save_begin=bad)


def test_published_keys_forms():
    assert CheckpointHook().published_keys is None
    assert CheckpointHook(published_keys="meta").published_keys == ["meta"]
    assert CheckpointHook(published_keys=("meta", "state_dict")).published_keys == ["meta", "state_dict"]
    for bad in (5, {"meta"}, ["meta", 1], []):
        with pytest.raises(HookConfigError, match="published_keys"):
            CheckpointHook(published_keys=bad)


def test_stored_settings():
    hook = CheckpointHook(interval=2, by_epoch=False, save_optimizer=False, save_param_scheduler=False,
                          out_dir="o", max_keep_ckpts=3, save_last=False, filename_tmpl="x_{}.pth",
                          greater_keys=["g"], less_keys=["l"], meta=dict(a=1))
    assert (hook.interval, hook.by_epoch, hook.save_optimizer, hook.save_param_scheduler, hook.out_dir,
            hook.max_keep_ckpts, hook.save_last, hook.filename_tmpl) == (2, False, False, False, "o", 3, False,
                                                                          "x_{}.pth")
    assert hook.greater_keys == ("g",) and hook.less_keys == ("l",)
    assert hook.args == {"meta": {"a": 1}}
    assert hook._last_ckpt is None and hook._pending_save is False and hook.keep_ckpt_ids == []
    assert CheckpointHook(backend_args={"a": 1}, file_client_args={"b": 2}).backend_args == {"a": 1}
    assert CheckpointHook(file_client_args={"b": 2}).backend_args == {"b": 2}
    assert CheckpointHook().backend_args is None


def test_save_best_and_rule_forms():
    assert CheckpointHook().key_indicators == [] and CheckpointHook().rules == []
    hook = CheckpointHook(save_best="acc")
    assert hook.key_indicators == ["acc"] and hook.rules == [None]
    hook = CheckpointHook(save_best=("acc", "loss"), rule="greater")
    assert hook.key_indicators == ["acc", "loss"] and hook.rules == ["greater", "greater"]
    hook = CheckpointHook(save_best=["acc", "loss"], rule=["greater", None])
    assert hook.rules == ["greater", None]
    assert CheckpointHook(save_best="auto").key_indicators == ["auto"]
    for bad in (1, ["acc", 2]):
        with pytest.raises(HookConfigError, match="save_best must be"):
            CheckpointHook(save_best=bad)
    with pytest.raises(HookConfigError, match="'auto' cannot be combined"):
        CheckpointHook(save_best=["auto", "acc"])
    with pytest.raises(HookConfigError, match="got 1 rules for 2 save_best"):
        CheckpointHook(save_best=["acc", "loss"], rule=["less"])
    with pytest.raises(HookConfigError, match="got 'up'"):
        CheckpointHook(save_best=["acc", "loss"], rule=["less", "up"])


# -- before_train ---------------------------------------------------------------------------------
def test_before_train_defaults(tmp_path):
    runner = _Runner(tmp_path, info={"keep_ckpt_ids": [1, 2]})
    hook = CheckpointHook(interval=1)
    hook.before_train(runner)
    assert hook.out_dir == str(tmp_path) and hook.filename_tmpl == "epoch_{}.pth" and hook.by_epoch
    assert hook.interval == 1 and hook.keep_ckpt_ids == [1, 2]
    hook = CheckpointHook(interval=1, by_epoch=False)
    hook.before_train(_Runner(tmp_path, loop=_Loop(by_epoch=False)))
    assert hook.filename_tmpl == "iter_{}.pth" and hook.keep_ckpt_ids == []


def test_before_train_in_an_iteration_based_run_saves_only_the_last(tmp_path, caplog):
    runner = _Runner(tmp_path, loop=_Loop(by_epoch=False))
    hook = CheckpointHook(interval=5)
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train(runner)
    assert not hook.by_epoch and hook.interval == -1 and hook.filename_tmpl == "iter_{}.pth"
    assert "saves only the last checkpoint" in caplog.text
    caplog.clear()
    hook = CheckpointHook()  # interval -1 already: nothing to warn about
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train(runner)
    assert not hook.by_epoch and "saves only the last" not in caplog.text
    hook = CheckpointHook(interval=5)  # epoch-based loop: unchanged
    hook.before_train(_Runner(tmp_path, loop=_Loop(by_epoch=True)))
    assert hook.by_epoch and hook.interval == 5
    hook = CheckpointHook(interval=5, by_epoch=False)  # already by iteration: unchanged
    hook.before_train(_Runner(tmp_path, loop=_Loop(by_epoch=False)))
    assert hook.interval == 5


def test_before_train_without_a_built_loop_keeps_the_settings(tmp_path):
    runner = _Runner(tmp_path)
    runner._train_loop = dict(type="EpochBasedTrainLoop")
    hook = CheckpointHook(interval=5)
    hook.before_train(runner)
    assert hook.by_epoch and hook.interval == 5


def test_out_dir_gets_the_work_dir_name_once(tmp_path):
    runner = _Runner(str(tmp_path / "wd") + "/")
    hook = CheckpointHook(out_dir=str(tmp_path / "out"))
    hook.before_train(runner)
    assert hook.out_dir == str(tmp_path / "out" / "wd")
    hook.before_train(runner)  # a second train() call
    assert hook.out_dir == str(tmp_path / "out" / "wd")


def test_before_train_removes_interrupted_saves_in_out_dir_and_work_dir(tmp_path, caplog):
    wd, out = tmp_path / "wd", tmp_path / "out" / "wd"
    wd.mkdir()
    out.mkdir(parents=True)
    for d in (wd, out):
        (d / ".epoch_2.pth.0123456789ab.tmp").write_text("partial")
        (d / "keep.txt").write_text("k")
    runner = _Runner(wd)
    hook = CheckpointHook(out_dir=str(tmp_path / "out"))
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train(runner)
    assert sorted(os.listdir(wd)) == ["keep.txt"] and sorted(os.listdir(out)) == ["keep.txt"]
    assert caplog.text.count("Removed 1 temporary file(s)") == 2
    assert ".epoch_2.pth.0123456789ab.tmp" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train(runner)
    assert "Removed" not in caplog.text


def test_only_the_main_process_removes_temp_files(tmp_path, monkeypatch):
    import mme.hooks._checkpoint as mod

    (tmp_path / ".epoch_2.pth.0123456789ab.tmp").write_text("partial")
    monkeypatch.setattr(mod, "is_main_process", lambda: False)
    CheckpointHook().before_train(_Runner(tmp_path))
    assert os.listdir(tmp_path) == [".epoch_2.pth.0123456789ab.tmp"]


# -- interval saving ------------------------------------------------------------------------------
def _epochs_saved(tmp_path, max_epochs=6, **kw):
    hook = CheckpointHook(**kw)
    runner = _Runner(tmp_path, max_epochs=max_epochs)
    hook.before_train(runner)
    for e in range(max_epochs):
        runner.epoch = e
        hook.after_train_iter(runner, 0)  # by epoch: ignored
        hook.after_train_epoch(runner)
    return [name for name, _ in runner.saved]


def test_epoch_intervals_save_begin_and_save_last(tmp_path):
    assert _epochs_saved(tmp_path / "a", interval=2) == ["epoch_2.pth", "epoch_4.pth", "epoch_6.pth"]
    assert _epochs_saved(tmp_path / "b", max_epochs=5, interval=2) == ["epoch_2.pth", "epoch_4.pth", "epoch_5.pth"]
    assert _epochs_saved(tmp_path / "c", max_epochs=5, interval=2, save_last=False) == ["epoch_2.pth", "epoch_4.pth"]
    assert _epochs_saved(tmp_path / "d", max_epochs=5) == ["epoch_5.pth"]
    assert _epochs_saved(tmp_path / "e", max_epochs=5, save_last=False) == []
    assert _epochs_saved(tmp_path / "f", max_epochs=7, interval=2, save_begin=3,
                         save_last=False) == ["epoch_3.pth", "epoch_5.pth", "epoch_7.pth"]


def _iters_saved(tmp_path, max_iters=6, **kw):
    hook = CheckpointHook(by_epoch=False, **kw)
    runner = _Runner(tmp_path, max_iters=max_iters, loop=_Loop(by_epoch=False))
    hook.before_train(runner)
    for i in range(max_iters):
        runner.iter = i
        hook.after_train_iter(runner, i)
        hook.after_train_epoch(runner)  # by iteration: ignored
    return [name for name, _ in runner.saved]


def test_iteration_intervals_save_begin_and_save_last(tmp_path):
    assert _iters_saved(tmp_path / "a", max_iters=5, interval=2) == ["iter_2.pth", "iter_4.pth", "iter_5.pth"]
    assert _iters_saved(tmp_path / "b", max_iters=5, interval=2, save_last=False) == ["iter_2.pth", "iter_4.pth"]
    assert _iters_saved(tmp_path / "c", max_iters=5) == ["iter_5.pth"]
    assert _iters_saved(tmp_path / "d", max_iters=7, interval=2, save_begin=3,
                        save_last=False) == ["iter_3.pth", "iter_5.pth", "iter_7.pth"]


def test_a_save_before_validation_waits_for_it(tmp_path):
    runner = _Runner(tmp_path, max_epochs=3, loop=_Loop(will_validate=True))
    hook = CheckpointHook(interval=1)
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    assert runner.saved == [] and hook._pending_save
    hook.after_val(runner)
    assert [n for n, _ in runner.saved] == ["epoch_1.pth"] and not hook._pending_save
    hook.after_val(runner)  # nothing pending any more
    assert len(runner.saved) == 1


def test_the_save_arguments_and_last_checkpoint(tmp_path):
    runner = _Runner(tmp_path, max_epochs=3)
    hook = CheckpointHook(interval=1, save_optimizer=False, save_param_scheduler=True, meta=dict(x=1))
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    name, kwargs = runner.saved[0]
    assert name == "epoch_1.pth"
    assert kwargs == dict(save_optimizer=False, save_param_scheduler=True, by_epoch=True, backend_args=None,
                          meta=dict(x=1))
    assert (tmp_path / "last_checkpoint").read_text() == str(tmp_path / "epoch_1.pth")
    assert hook._last_ckpt == str(tmp_path / "epoch_1.pth")
    assert runner.message_hub.get_info("keep_ckpt_ids") == [1]


def test_max_keep_ckpts_removes_the_oldest_and_resumes_its_bookkeeping(tmp_path):
    runner = _Runner(tmp_path, max_epochs=10)
    hook = CheckpointHook(interval=1, max_keep_ckpts=2)
    hook.before_train(runner)
    for e in range(4):
        runner.epoch = e
        hook.after_train_epoch(runner)
    assert _pths(tmp_path) == ["epoch_3.pth", "epoch_4.pth"]
    assert runner.message_hub.get_info("keep_ckpt_ids") == [3, 4]
    # the same step saved twice is kept once
    hook._save_checkpoint(runner)
    assert runner.message_hub.get_info("keep_ckpt_ids") == [3, 4]
    # a resumed run removes the checkpoints of the earlier one
    runner2 = _Runner(tmp_path, max_epochs=10, info={"keep_ckpt_ids": [3, 4]})
    hook2 = CheckpointHook(interval=1, max_keep_ckpts=2)
    hook2.before_train(runner2)
    runner2.epoch = 4
    hook2.after_train_epoch(runner2)
    assert _pths(tmp_path) == ["epoch_4.pth", "epoch_5.pth"]


def test_max_keep_one_and_unlimited(tmp_path):
    runner = _Runner(tmp_path / "one", max_epochs=10)
    hook = CheckpointHook(interval=1, max_keep_ckpts=1)
    hook.before_train(runner)
    for e in range(3):
        runner.epoch = e
        hook.after_train_epoch(runner)
    assert _pths(tmp_path / "one") == ["epoch_3.pth"]
    runner = _Runner(tmp_path / "all", max_epochs=10)
    hook = CheckpointHook(interval=1)
    hook.before_train(runner)
    for e in range(3):
        runner.epoch = e
        hook.after_train_epoch(runner)
    assert _pths(tmp_path / "all") == ["epoch_1.pth", "epoch_2.pth", "epoch_3.pth"]
    assert runner.message_hub.get_info("keep_ckpt_ids") == [1, 2, 3]


def test_save_checkpoint_without_before_train_uses_the_defaults(tmp_path):
    runner = _Runner(tmp_path, epoch=1, it=6)
    hook = CheckpointHook()
    hook._save_checkpoint(runner)
    hook.by_epoch = False
    hook._save_checkpoint(runner)
    assert _pths(tmp_path) == ["epoch_2.pth", "iter_7.pth"]


def test_other_ranks_save_but_do_not_write_last_checkpoint_nor_remove(tmp_path, monkeypatch):
    import mme.hooks._checkpoint as mod

    runner = _Runner(tmp_path, max_epochs=10)
    hook = CheckpointHook(interval=1, max_keep_ckpts=1)
    hook.before_train(runner)
    monkeypatch.setattr(mod, "is_main_process", lambda: False)
    for e in range(2):
        runner.epoch = e
        hook.after_train_epoch(runner)
    assert _pths(tmp_path) == ["epoch_1.pth", "epoch_2.pth"]
    assert not (tmp_path / "last_checkpoint").exists() and hook._last_ckpt is None


# -- best checkpoint ------------------------------------------------------------------------------
def _best_run(tmp_path, scores, by_epoch=True, **kw):
    loop = _Loop(by_epoch=by_epoch)
    runner = _Runner(tmp_path, loop=loop)
    hook = CheckpointHook(by_epoch=by_epoch, **kw)
    hook.before_train(runner)
    for step, metrics in enumerate(scores):
        runner.epoch = runner.iter = step
        hook.after_val_epoch(runner, metrics)
    return runner, hook


def test_best_single_metric_replaces_the_old_best(tmp_path):
    runner, _ = _best_run(tmp_path, [{"acc": 1.0}, {"acc": 3.0}, {"acc": 2.0}], save_best="acc")
    assert _pths(tmp_path) == ["best_acc_epoch_2.pth"]
    assert runner.message_hub.get_info("best_score") == 3.0
    assert runner.message_hub.get_info("best_ckpt") == str(tmp_path / "best_acc_epoch_2.pth")
    assert [kw for _, kw in runner.saved][0] == dict(save_optimizer=False, save_param_scheduler=False,
                                                     by_epoch=False, backend_args=None)


def test_best_by_iteration_with_a_slash_in_the_name(tmp_path):
    runner, _ = _best_run(tmp_path, [{"val/loss": 3.0}, {"val/loss": 1.0}], by_epoch=False, save_best="val/loss")
    assert _pths(tmp_path) == ["best_val_loss_iter_2.pth"]


def test_best_of_several_metrics_keep_separate_records(tmp_path):
    runner, _ = _best_run(tmp_path, [{"acc": 1.0, "loss": 1.0}, {"acc": 2.0, "loss": 2.0}],
                          save_best=["acc", "loss"])
    assert _pths(tmp_path) == ["best_acc_epoch_2.pth", "best_loss_epoch_1.pth"]
    info = runner.message_hub.runtime_info
    assert info["best_score_acc"] == 2.0 and info["best_score_loss"] == 1.0
    assert info["best_ckpt_loss"] == str(tmp_path / "best_loss_epoch_1.pth")
    assert "best_score" not in info and "best_ckpt" not in info


def test_best_auto_takes_the_first_metric(tmp_path):
    _best_run(tmp_path, [{"loss": 2.0, "acc": 1.0}, {"loss": 1.0, "acc": 0.5}], save_best="auto")
    assert _pths(tmp_path) == ["best_loss_epoch_2.pth"]


def test_a_nan_score_is_never_the_best(tmp_path):
    runner, _ = _best_run(tmp_path, [{"acc": float("nan")}, {"acc": 1.0}, {"acc": float("nan")}],
                          save_best="acc")
    assert _pths(tmp_path) == ["best_acc_epoch_2.pth"]
    runner, _ = _best_run(tmp_path / "less", [{"loss": float("nan")}], save_best="loss")
    assert not (tmp_path / "less").exists() or _pths(tmp_path / "less") == []


def test_best_is_only_saved_while_training_with_metrics(tmp_path):
    runner = _Runner(tmp_path, is_training=False)
    hook = CheckpointHook(save_best="acc")
    hook.before_train(runner)
    hook.after_val_epoch(runner, {"acc": 1.0})
    runner.is_training = True
    hook.after_val_epoch(runner, {})
    hook.after_val_epoch(runner, None)
    runner._train_loop = None
    hook.after_val_epoch(runner, {"acc": 1.0})
    assert runner.saved == []
    CheckpointHook().after_val_epoch(_Runner(tmp_path), {"acc": 1.0})  # no save_best
    assert _pths(tmp_path) == []


def test_the_same_best_path_again_is_not_removed(tmp_path):
    runner, hook = _best_run(tmp_path, [{"acc": 1.0}], save_best="acc")
    hook._save_best_checkpoint(runner, {"acc": 2.0})  # same step, better score: same file name
    assert _pths(tmp_path) == ["best_acc_epoch_1.pth"]


def test_other_ranks_do_not_remove_the_old_best(tmp_path, monkeypatch):
    import mme.hooks._checkpoint as mod

    monkeypatch.setattr(mod, "is_main_process", lambda: False)
    _best_run(tmp_path, [{"acc": 1.0}, {"acc": 2.0}], save_best="acc")
    assert _pths(tmp_path) == ["best_acc_epoch_1.pth", "best_acc_epoch_2.pth"]


# -- publishing -----------------------------------------------------------------------------------
def test_after_train_publishes_last_and_best(tmp_path, monkeypatch):
    import mme.hooks._checkpoint as mod

    calls = []
    monkeypatch.setattr(mod, "publish_checkpoint", lambda path, keys, backend_args=None: calls.append(
        (path, keys)) or path + ".pub")
    runner = _Runner(tmp_path, info={"best_ckpt": "b.pth", "best_ckpt_acc": "a.pth", "best_score": 1.0,
                                     "other_best_ckpt": "x.pth"})
    hook = CheckpointHook(published_keys="meta")
    hook._last_ckpt = "last.pth"
    hook.after_train(runner)
    assert calls == [("last.pth", ["meta"]), ("b.pth", ["meta"]), ("a.pth", ["meta"])]
    calls.clear()
    hook.save_last = False
    hook._last_ckpt = None
    hook.after_train(runner)
    assert calls == [("b.pth", ["meta"]), ("a.pth", ["meta"])]
    calls.clear()
    hook.save_last = True  # nothing saved last (e.g. a resumed run that was complete): skipped
    hook.after_train(runner)
    assert calls == [("b.pth", ["meta"]), ("a.pth", ["meta"])]
    calls.clear()
    CheckpointHook().after_train(runner)
    assert calls == []
    monkeypatch.setattr(mod, "is_main_process", lambda: False)
    hook.after_train(runner)
    assert calls == []


def test_the_config_check_knows_where_the_extra_arguments_go():
    from mme.runner import Runner
    from mme.runner._signature import signature_spec

    accepted = signature_spec(CheckpointHook, Runner).accepted
    assert accepted is not None  # not "any key": a typo in a CheckpointHook config is caught
    assert {"meta", "file_client_args", "interval", "out_dir"} <= accepted
    assert "filename" not in accepted  # the hook passes it itself
    assert "metaa" not in accepted


def test_documented_defaults():
    hook = CheckpointHook()
    assert (hook.interval, hook.by_epoch, hook.save_optimizer, hook.save_param_scheduler, hook.out_dir,
            hook.max_keep_ckpts, hook.save_last, hook.filename_tmpl, hook.save_begin) == (
        -1, True, True, True, None, -1, True, None, 0)


def test_a_loop_without_by_epoch_counts_as_epoch_based(tmp_path):
    from types import SimpleNamespace

    runner = _Runner(tmp_path)
    runner._train_loop = SimpleNamespace()
    hook = CheckpointHook(interval=2)
    hook.before_train(runner)
    assert hook.by_epoch and hook.interval == 2 and hook.filename_tmpl == "epoch_{}.pth"


def test_interval_one_in_an_iteration_based_run_warns_too(tmp_path, caplog):
    runner = _Runner(tmp_path, loop=_Loop(by_epoch=False))
    hook = CheckpointHook(interval=1)
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train(runner)
    assert "saves only the last checkpoint" in caplog.text and hook.interval == -1


def test_out_dir_keeps_the_work_dir_name_whole(tmp_path):
    runner = _Runner(str(tmp_path / "expX") + "/")
    hook = CheckpointHook(out_dir=str(tmp_path / "out"))
    hook.before_train(runner)
    assert hook.out_dir == str(tmp_path / "out" / "expX")


def test_a_custom_filename_template_is_kept(tmp_path):
    runner = _Runner(tmp_path, max_epochs=1)
    hook = CheckpointHook(filename_tmpl="ck_{}.pth")
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    assert hook.filename_tmpl == "ck_{}.pth" and _pths(tmp_path) == ["ck_1.pth"]


def test_iteration_interval_one_saves_every_iteration(tmp_path):
    assert _iters_saved(tmp_path, max_iters=3, interval=1, save_last=False) == ["iter_1.pth", "iter_2.pth",
                                                                                "iter_3.pth"]


def test_a_loop_that_cannot_say_whether_it_validates_saves_at_once(tmp_path):
    from types import SimpleNamespace

    runner = _Runner(tmp_path, max_epochs=3)
    hook = CheckpointHook(interval=1)
    hook.before_train(runner)
    runner._train_loop = SimpleNamespace(by_epoch=True)
    hook.after_train_epoch(runner)
    assert _pths(tmp_path) == ["epoch_1.pth"] and not hook._pending_save


def test_no_best_checkpoint_from_a_runner_that_does_not_say_it_is_training(tmp_path):
    runner = _Runner(tmp_path)
    del runner.is_training
    hook = CheckpointHook(save_best="acc")
    hook.before_train(runner)
    hook.after_val_epoch(runner, {"acc": 1.0})
    assert runner.saved == []


def test_max_keep_ckpts_zero_keeps_every_checkpoint(tmp_path):
    runner = _Runner(tmp_path, max_epochs=10)
    hook = CheckpointHook(interval=1, max_keep_ckpts=0)
    hook.before_train(runner)
    for e in range(2):
        runner.epoch = e
        hook.after_train_epoch(runner)
    assert _pths(tmp_path) == ["epoch_1.pth", "epoch_2.pth"]


def test_a_metric_that_did_not_improve_does_not_stop_the_next_one(tmp_path):
    runner, _ = _best_run(tmp_path, [{"loss": 1.0, "acc": 1.0}, {"loss": 2.0, "acc": 2.0}], save_best=["loss", "acc"])
    assert _pths(tmp_path) == ["best_acc_epoch_2.pth", "best_loss_epoch_1.pth"]


def test_best_and_published_checkpoints_are_logged(tmp_path, caplog, monkeypatch):
    import mme.hooks._checkpoint as mod

    with caplog.at_level(logging.INFO, logger="test_checkpoint_hook_mutants"):
        runner, hook = _best_run(tmp_path, [{"acc": 0.5}, {"acc": 0.25}, {"acc": 2.0}], save_best="acc")
    assert [r.getMessage() for r in caplog.records if "best" in r.getMessage()] == [
        "The best checkpoint with 0.5000 acc at 1 epoch is saved to best_acc_epoch_1.pth.",
        "The best checkpoint with 2.0000 acc at 3 epoch is saved to best_acc_epoch_3.pth."]
    caplog.clear()
    monkeypatch.setattr(mod, "publish_checkpoint", lambda path, keys, backend_args=None: path + ".pub")
    hook.published_keys = ["meta"]
    with caplog.at_level(logging.INFO, logger="test_checkpoint_hook_mutants"):
        hook.after_train(runner)
    best = str(tmp_path / "best_acc_epoch_3.pth")
    assert [r.getMessage() for r in caplog.records] == [f"Published {best} with keys ['meta'] as {best}.pub"]
