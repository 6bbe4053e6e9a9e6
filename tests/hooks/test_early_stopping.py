"""EarlyStoppingHook's decisions, validation by validation, on a stand-in runner."""

from __future__ import annotations

import logging
import math
from types import SimpleNamespace

import pytest
from mme.hooks import EarlyStoppingHook, HookConfigError, HookError


def _runner():
    """The parts of a Runner the hook touches: the train loop's flag and a logger."""
    return SimpleNamespace(train_loop=SimpleNamespace(stop_training=False),
                           logger=logging.getLogger("tests.hooks.early_stopping"), is_resuming=False)


def _feed(hook, values, key="acc"):
    """Validate with each value in turn; return the 1-based validation that stopped training."""
    runner = _runner()
    hook.before_run(runner)
    for i, value in enumerate(values, 1):
        hook.after_val_epoch(runner, {key: value})
        if runner.train_loop.stop_training:
            return i
    return None


@pytest.mark.parametrize("patience", [1, 2, 3, 5])
def test_stops_after_exactly_patience_validations_without_improvement(patience):
    hook = EarlyStoppingHook(monitor="acc", patience=patience, min_delta=0.1)
    assert _feed(hook, [0.5] + [0.5] * 10) == 1 + patience
    assert hook.wait_count == patience


def test_an_improvement_resets_the_count():
    hook = EarlyStoppingHook(monitor="acc", patience=3, min_delta=0.1)
    # best 0.5; two stale; 0.7 improves (by more than min_delta) and resets; three stale stop it
    assert _feed(hook, [0.5, 0.5, 0.55, 0.7, 0.75, 0.7, 0.6, 0.9]) == 7
    assert hook.best_score == 0.7


def test_a_change_within_min_delta_is_no_improvement():
    hook = EarlyStoppingHook(monitor="acc", patience=2, min_delta=0.1)
    assert _feed(hook, [0.5, 0.59, 0.6]) == 3
    assert hook.best_score == 0.5


@pytest.mark.parametrize("rule, values, stop", [
    ("less", [1.0, 0.8, 0.6, 0.7, 0.65], 5),     # decreasing is better
    ("greater", [1.0, 0.8, 0.6, 0.7, 0.65], 3),  # decreasing is worse
])
def test_the_rule_decides_the_direction(rule, values, stop):
    assert _feed(EarlyStoppingHook(monitor="m", rule=rule, patience=2, min_delta=0.05), values, "m") == stop


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_finite_stops_at_once_on_a_non_finite_metric(bad):
    hook = EarlyStoppingHook(monitor="acc", patience=5)
    assert _feed(hook, [0.5, bad, 0.9]) == 2


def test_without_check_finite_a_nan_only_counts_as_no_improvement():
    hook = EarlyStoppingHook(monitor="acc", patience=3, check_finite=False)
    assert _feed(hook, [0.5, math.nan, math.nan, 0.5]) == 4
    assert hook.best_score == 0.5


def test_the_stopping_threshold_stops_when_reached():
    hook = EarlyStoppingHook(monitor="loss", stopping_threshold=0.2, patience=10)
    assert hook.rule == "less"
    assert _feed(hook, [0.5, 0.3, 0.2, 0.1], "loss") == 3
    hook = EarlyStoppingHook(monitor="acc", stopping_threshold=0.9, patience=10)
    assert _feed(hook, [0.5, 0.95], "acc") == 2


def test_a_missing_metric_warns_or_raises(caplog):
    hook = EarlyStoppingHook(monitor="acc", patience=1)
    with caplog.at_level(logging.WARNING, logger="mme.hooks"):
        assert _feed(hook, [0.5, 0.5], "other") is None
    assert "'acc' is not among the metrics ['other']" in caplog.text
    with pytest.raises(HookError, match="'acc' is not among"):
        _feed(EarlyStoppingHook(monitor="acc", strict=True), [0.5], "other")


def test_before_run_resets_the_counters():
    hook = EarlyStoppingHook(monitor="loss", patience=2)
    assert _feed(hook, [1.0, 2.0, 2.0], "loss") == 3
    assert _feed(hook, [5.0, 6.0, 6.0], "loss") == 3  # not stopped at the first value by the old best
    assert hook.best_score == 5.0


def test_state_goes_into_the_checkpoint_and_back_on_resume():
    hook = EarlyStoppingHook(monitor="acc", patience=3)
    _feed(hook, [0.5, 0.4])
    checkpoint = {}
    hook.before_save_checkpoint(_runner(), checkpoint)
    assert checkpoint["hook_states"]["EarlyStoppingHook"] == {"best_score": 0.5, "wait_count": 1}
    fresh = EarlyStoppingHook(monitor="acc", patience=3)
    fresh.after_load_checkpoint(_runner(), checkpoint)  # not resuming: ignored
    assert fresh.wait_count == 0 and fresh.best_score == -math.inf
    resuming = _runner()
    resuming.is_resuming = True
    fresh.after_load_checkpoint(resuming, checkpoint)
    assert (fresh.best_score, fresh.wait_count) == (0.5, 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"monitor": "weird"}, "rule="),
    ({"monitor": "acc", "rule": "up"}, "'greater' or 'less'"),
    ({"monitor": "acc", "patience": 0}, "patience must be >= 1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(HookConfigError, match=message):
        EarlyStoppingHook(**kwargs)


@pytest.mark.parametrize("monitor", ["acc", "top1", "AR@100", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc",
                                     "aAcc", "val/Accuracy"])
def test_the_rule_is_inferred_greater_from_the_metric_name(monitor):
    assert EarlyStoppingHook(monitor=monitor).rule == "greater"


@pytest.mark.parametrize("monitor", ["loss", "val/LOSS_cls"])
def test_the_rule_is_inferred_less_for_losses(monitor):
    assert EarlyStoppingHook(monitor=monitor).rule == "less"


def test_defaults():
    hook = EarlyStoppingHook(monitor="acc")
    assert (hook.min_delta, hook.patience, hook.strict, hook.check_finite, hook.stopping_threshold) == (
        0.1, 5, False, True, None)
    assert EarlyStoppingHook(monitor="acc", min_delta=-0.2).min_delta == 0.2
    assert EarlyStoppingHook.priority == "LOWEST"  # after the hooks that record the metrics


def test_an_improvement_of_exactly_min_delta_does_not_count():
    hook = EarlyStoppingHook(monitor="acc", patience=1, min_delta=0.5)
    assert _feed(hook, [1.0, 1.5]) == 2
    hook = EarlyStoppingHook(monitor="loss", patience=1, min_delta=0.5)
    assert _feed(hook, [1.5, 1.0], "loss") == 2


@pytest.mark.parametrize("monitor, best", [("acc", -math.inf), ("loss", math.inf)])
def test_the_state_before_any_validation(monitor, best):
    hook = EarlyStoppingHook(monitor=monitor)
    _feed(hook, [1.0, 1.0, 1.0])
    hook.before_run(_runner())
    checkpoint = {}
    hook.before_save_checkpoint(_runner(), checkpoint)
    assert checkpoint["hook_states"]["EarlyStoppingHook"] == {"best_score": best, "wait_count": 0}


def test_validation_without_metrics_only_warns(caplog):
    hook = EarlyStoppingHook(monitor="acc")
    runner = _runner()
    with caplog.at_level(logging.WARNING, logger="mme.hooks"):
        hook.after_val_epoch(runner, None)
    assert "'acc' is not among the metrics []" in caplog.text and not runner.train_loop.stop_training


def test_the_reason_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="tests.hooks.early_stopping"):
        _feed(EarlyStoppingHook(monitor="acc", patience=2, min_delta=0.1), [0.5, 0.5, 0.5])
        _feed(EarlyStoppingHook(monitor="loss", stopping_threshold=0.2), [0.1], "loss")
        _feed(EarlyStoppingHook(monitor="acc"), [0.5, math.nan])
    assert [r.getMessage() for r in caplog.records] == [
        "Early stopping: acc has not improved by more than 0.1 for 2 validations; best 0.5000",
        "Early stopping: loss = 0.1 reached the stopping threshold 0.2",
        "Early stopping: acc = nan is not finite; best so far 0.5000",
    ]
