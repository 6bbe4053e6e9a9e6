"""The Hook base class's helpers and dispatch, and hook priorities, on stand-in runners."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mme.hooks import HOOK_STAGES, Hook, HookConfigError, Priority, get_priority


def _runner(epoch=0, iter=0, max_epochs=3, max_iters=12):
    return SimpleNamespace(epoch=epoch, iter=iter, max_epochs=max_epochs, max_iters=max_iters)


@pytest.mark.parametrize("epoch, n, start, expected", [
    (0, 1, 0, True), (1, 2, 0, True), (0, 2, 0, False), (2, 3, 0, True), (3, 3, 0, False),
    (3, 2, 2, True),   # epochs 3 and 4 ended: (epoch + 1 - start) = 2
    (2, 2, 2, False),  # 1 epoch since start
    (0, 2, 2, False),  # before start
    (0, 1, 2, False),  # before start, even for n = 1
    (1, 1, 2, True),   # exactly at start: 0 % 1
    (5, 0, 0, False), (5, -2, 0, False),
])
def test_every_n_epochs(epoch, n, start, expected):
    assert Hook().every_n_epochs(_runner(epoch=epoch), n, start) is expected


@pytest.mark.parametrize("iter, n, start, expected", [
    (0, 1, 0, True), (3, 4, 0, True), (4, 4, 0, False), (7, 4, 0, True), (2, 4, 0, False),
    (5, 3, 3, True), (4, 3, 3, False), (1, 3, 3, False), (2, 3, 3, True),
    (9, 0, 0, False), (9, -1, 0, False),
])
def test_every_n_train_iters(iter, n, start, expected):
    assert Hook().every_n_train_iters(_runner(iter=iter), n, start) is expected


@pytest.mark.parametrize("batch_idx, n, expected", [(0, 1, True), (1, 2, True), (2, 2, False), (5, 3, True),
                                                   (3, 0, False), (3, -4, False)])
def test_every_n_inner_iters(batch_idx, n, expected):
    assert Hook().every_n_inner_iters(batch_idx, n) is expected


def test_last_epoch_iter_and_batch():
    hook = Hook()
    assert hook.end_of_epoch([1, 2, 3], 2) and not hook.end_of_epoch([1, 2, 3], 1)
    assert not hook.end_of_epoch([1, 2, 3], 3)
    assert hook.is_last_train_epoch(_runner(epoch=2)) and not hook.is_last_train_epoch(_runner(epoch=1))
    assert not hook.is_last_train_epoch(_runner(epoch=3))
    assert hook.is_last_train_iter(_runner(iter=11)) and not hook.is_last_train_iter(_runner(iter=10))
    assert not hook.is_last_train_iter(_runner(iter=12))


class _Shared(Hook):
    """Overrides only the shared bodies and records each call with its mode."""

    def __init__(self):
        self.calls = []

    def _before_epoch(self, runner, mode="train"):
        self.calls.append(("before_epoch", mode))

    def _after_epoch(self, runner, mode="train"):
        self.calls.append(("after_epoch", mode))

    def _before_iter(self, runner, batch_idx, data_batch=None, mode="train"):
        self.calls.append(("before_iter", mode, batch_idx, data_batch))

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
        self.calls.append(("after_iter", mode, batch_idx, data_batch, outputs))


def test_public_stages_dispatch_to_the_shared_bodies_with_their_mode():
    hook, runner = _Shared(), _runner()
    for mode in ("train", "val", "test"):
        getattr(hook, f"before_{mode}_epoch")(runner)
        getattr(hook, f"before_{mode}_iter")(runner, batch_idx=1, data_batch={"x": 1})
        getattr(hook, f"after_{mode}_iter")(runner, batch_idx=1, data_batch={"x": 1}, outputs=[mode])
    hook.after_train_epoch(runner)
    hook.after_val_epoch(runner, metrics={"acc": 1.0})
    hook.after_test_epoch(runner, metrics=None)
    assert hook.calls == [
        ("before_epoch", "train"), ("before_iter", "train", 1, {"x": 1}), ("after_iter", "train", 1, {"x": 1}, ["train"]),
        ("before_epoch", "val"), ("before_iter", "val", 1, {"x": 1}), ("after_iter", "val", 1, {"x": 1}, ["val"]),
        ("before_epoch", "test"), ("before_iter", "test", 1, {"x": 1}), ("after_iter", "test", 1, {"x": 1}, ["test"]),
        ("after_epoch", "train"), ("after_epoch", "val"), ("after_epoch", "test"),
    ]


def test_triggered_stages_include_those_reached_through_shared_bodies():
    class EpochsOnly(Hook):
        def _after_epoch(self, runner, mode="train"):
            pass

        def before_run(self, runner):
            pass

    assert EpochsOnly().get_triggered_stages() == ["before_run", "after_train_epoch", "after_val_epoch",
                                                   "after_test_epoch"]
    assert _Shared().get_triggered_stages() == [s for s in HOOK_STAGES if s.endswith(("_epoch", "_iter"))]
    assert Hook().get_triggered_stages() == []
    assert repr(_Shared()) == "_Shared()"


@pytest.mark.parametrize("given, value", [
    ("HIGHEST", 0), ("very_high", 10), ("High", 30), ("ABOVE_NORMAL", 40), ("NORMAL", 50), ("BELOW_NORMAL", 60),
    ("LOW", 70), ("VERY_LOW", 90), ("LOWEST", 100), (Priority.LOW, 70), (0, 0), (100, 100), (42, 42),
])
def test_get_priority(given, value):
    assert get_priority(given) == value


@pytest.mark.parametrize("given, message", [
    (-1, r"in \[0, 100\], got -1"), (101, r"in \[0, 100\], got 101"), (True, "got True"),
    ("URGENT", "unknown priority 'URGENT'; expected one of HIGHEST, VERY_HIGH, HIGH, ABOVE_NORMAL, NORMAL"),
    (1.5, "got float"), (None, "got NoneType"),
])
def test_bad_priorities(given, message):
    with pytest.raises(HookConfigError, match=message):
        get_priority(given)


def test_the_priority_table():
    assert {p.name: p.value for p in Priority} == {
        "HIGHEST": 0, "VERY_HIGH": 10, "HIGH": 30, "ABOVE_NORMAL": 40, "NORMAL": 50, "BELOW_NORMAL": 60, "LOW": 70,
        "VERY_LOW": 90, "LOWEST": 100}
    assert Hook.priority == "NORMAL"


def test_every_n_counts_from_the_start_by_default():
    hook = Hook()
    assert hook.every_n_epochs(_runner(epoch=1), 2) and not hook.every_n_epochs(_runner(epoch=2), 2)
    assert hook.every_n_train_iters(_runner(iter=3), 4) and not hook.every_n_train_iters(_runner(iter=4), 4)


def test_every_n_train_iters_counts_from_a_start_that_is_not_a_multiple_of_n():
    hook = Hook()
    assert hook.every_n_train_iters(_runner(iter=4), 3, start=2)  # 3 iterations since start
    assert not hook.every_n_train_iters(_runner(iter=5), 3, start=2)
    assert hook.every_n_epochs(_runner(epoch=3), 3, start=1)
    assert not hook.every_n_epochs(_runner(epoch=4), 3, start=1)
