"""Scheduler behaviour that mutation testing (tools/mutation) found untested.

Defaults, argument checks, ``begin`` offsets, iteration-based conversion, the exact boundaries of
ReduceOnPlateau's improvement rules, and OneCycle at its last step.
"""

from __future__ import annotations

import logging
import math

import pytest
import torch
from mme.optim import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    ExponentialParamScheduler,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    ReduceOnPlateauLR,
    SchedulerConfigError,
    StepLR,
    _ParamScheduler,
)

BASE = 0.1


def _sgd(groups: int = 1, lr: float = BASE) -> torch.optim.SGD:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * (i + 1)} for i in range(groups)]
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _values(sched, steps: int) -> list[float]:
    """Group 0's value after construction and after each of ``steps - 1`` more steps."""
    values = [sched.get_last_value()[0]]
    for _ in range(steps - 1):
        sched.step()
        values.append(sched.get_last_value()[0])
    return values


# -- the base class ------------------------------------------------------------------------------


@pytest.mark.parametrize("last_step", ["0", 1.0, -2])
def test_last_step_must_be_an_int_from_minus_one(last_step):
    with pytest.raises(SchedulerConfigError, match="last_step must be an int >= -1"):
        ExponentialLR(_sgd(), gamma=0.5, last_step=last_step)


def test_a_group_without_the_parameter_is_rejected():
    with pytest.raises(SchedulerConfigError, match="parameter groups have no 'betas'"):
        ExponentialParamScheduler(_sgd(), "betas", gamma=0.5)


def test_the_base_class_has_no_schedule():
    with pytest.raises(NotImplementedError):
        _ParamScheduler(_sgd(), "lr")


def test_not_verbose_by_default(caplog):
    with caplog.at_level(logging.DEBUG, logger="mme.optim"):
        sched = ExponentialLR(_sgd(), gamma=0.5)
        sched.step()
    assert sched.verbose is False and caplog.records == []


def test_repr():
    assert repr(ExponentialLR(_sgd(), gamma=0.5, begin=1, end=4)) == (
        "ExponentialLR(param_name='lr', begin=1, end=4, by_epoch=True)")


def test_build_iter_from_epoch_defaults_and_epoch_length():
    sched = ExponentialLR.build_iter_from_epoch(_sgd(), gamma=0.5, epoch_length=1)
    assert (sched.begin, sched.end, sched.by_epoch) == (0, math.inf, False)
    sched = ExponentialLR.build_iter_from_epoch(_sgd(), gamma=0.5, begin=2, end=3, epoch_length=4)
    assert (sched.begin, sched.end) == (8, 12)
    for bad in (None, 0, -1):
        with pytest.raises(SchedulerConfigError, match=f"positive epoch_length, but got {bad}"):
            ExponentialLR.build_iter_from_epoch(_sgd(), gamma=0.5, epoch_length=bad)


@pytest.mark.parametrize("cls, kwargs", [
    (StepLR, {"step_size": 2}), (MultiStepLR, {"milestones": [1]}), (CosineAnnealingLR, {"T_max": 2}),
    (CosineAnnealingLR, {"end": 2}), (OneCycleLR, {"total_steps": 2}), (CosineRestartLR, {"periods": [2]}),
])
def test_every_period_scaling_conversion_checks_epoch_length(cls, kwargs):
    for bad in (None, 0, -3):
        with pytest.raises(SchedulerConfigError, match=f"positive epoch_length, but got {bad}"):
            cls.build_iter_from_epoch(_sgd(), epoch_length=bad, **kwargs)
    assert cls.build_iter_from_epoch(_sgd(), epoch_length=1, **kwargs).by_epoch is False


def test_cosine_conversion_without_t_max_takes_the_scaled_window():
    sched = CosineAnnealingLR.build_iter_from_epoch(_sgd(), begin=1, end=3, epoch_length=5)
    assert (sched.T_max, sched.begin, sched.end) == (10, 5, 15)


# -- defaults of the families ----------------------------------------------------------------------


def test_step_and_multistep_decay_by_a_tenth_by_default():
    assert _values(StepLR(_sgd(), step_size=1), 3) == pytest.approx([0.1, 0.01, 0.001])
    assert _values(MultiStepLR(_sgd(), milestones=[1]), 3) == pytest.approx([0.1, 0.01, 0.01])


def test_constant_and_linear_start_at_a_third_by_default():
    assert _values(ConstantLR(_sgd()), 3) == pytest.approx([BASE / 3] * 3)
    assert _values(LinearLR(_sgd(), end=3), 4) == pytest.approx([BASE / 3, BASE * 2 / 3, BASE, BASE])


def test_cosine_and_poly_go_to_zero_by_default():
    assert _values(CosineAnnealingLR(_sgd(), T_max=2), 3) == pytest.approx([BASE, BASE / 2, 0.0], abs=1e-12)
    # Poly: linear (power 1) down to 0 at end - 1
    assert _values(PolyLR(_sgd(), end=5), 5) == pytest.approx([0.1, 0.075, 0.05, 0.025, 0.0], abs=1e-12)


def test_cosine_needs_t_max_or_an_end():
    with pytest.raises(SchedulerConfigError, match="give T_max or a finite end"):
        CosineAnnealingLR(_sgd())


@pytest.mark.parametrize("factory, message", [
    (lambda o: ConstantLR(o, factor=1.5), "factor must be between 0 and 1, but got 1.5"),
    (lambda o: LinearLR(o, start_factor=-0.5), "start_factor must be between 0 and 1, but got -0.5"),
    (lambda o: LinearLR(o, end_factor=2), "end_factor must be between 0 and 1, but got 2"),
])
def test_factor_messages_name_the_argument(factory, message):
    with pytest.raises(SchedulerConfigError, match=message):
        factory(_sgd())


# -- windows that start later (begin > 0) ----------------------------------------------------------


def test_windowed_schedules_count_from_begin():
    # ConstantLR: scaled from begin, restored at end - 1
    assert _values(ConstantLR(_sgd(), factor=0.5, begin=2, end=5), 7) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.1, 0.1, 0.1])
    # LinearLR: from start_factor at begin to end_factor at end - 1
    assert _values(LinearLR(_sgd(), start_factor=0.5, begin=2, end=5), 7) == pytest.approx(
        [0.1, 0.1, 0.05, 0.075, 0.1, 0.1, 0.1])
    # PolyLR: to eta_min at end - 1
    assert _values(PolyLR(_sgd(), eta_min=0.02, begin=1, end=5), 6) == pytest.approx(
        [0.1, 0.1, 0.02 + 0.08 * 2 / 3, 0.02 + 0.08 / 3, 0.02, 0.02])
    # CosineAnnealingLR: T_max defaults to end - begin
    values = _values(CosineAnnealingLR(_sgd(), begin=2, end=6), 7)
    assert values == pytest.approx([0.1, 0.1, 0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05,
                                    0.1 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.1 * (1 + math.cos(3 * math.pi / 4)) / 2])


def test_poly_power():
    assert _values(PolyLR(_sgd(), power=2.0, end=3), 3) == pytest.approx([0.1, 0.025, 0.0], abs=1e-12)


# -- OneCycle --------------------------------------------------------------------------------------


def test_one_cycle_defaults():
    opt = _sgd()
    sched = OneCycleLR(opt, total_steps=10)
    group = opt.param_groups[0]
    assert (group["max_lr"], group["initial_lr"]) == (0.1, 0.1 / 25)
    assert group["min_lr"] == pytest.approx(0.1 / 25 / 1e4)
    assert sched.by_epoch is False and sched.three_phase is False
    assert {k: sched.state_dict()[k] for k in ("pct_start", "div_factor", "final_div_factor", "anneal_strategy")} == {
        "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4, "anneal_strategy": "cos"}


def test_one_cycle_total_steps_from_the_window():
    sched = OneCycleLR(_sgd(), begin=3, end=13)
    assert sched.total_steps == 10


@pytest.mark.parametrize("kwargs, message", [
    ({"total_steps": 0}, "total_steps must be a positive int, but got 0"),
    ({"total_steps": -2}, "total_steps must be a positive int, but got -2"),
    ({"total_steps": 2.5}, "total_steps must be a positive int, but got 2.5"),
    ({"total_steps": 10, "pct_start": 1.5}, "pct_start must be between 0 and 1, but got 1.5"),
    ({"total_steps": 10, "pct_start": -0.1}, "pct_start must be between 0 and 1, but got -0.1"),
    ({"total_steps": 10, "eta_max": [0.1, 0.2, 0.3]}, "eta_max has 3 values but the optimizer has 2 groups"),
])
def test_one_cycle_bad_arguments(kwargs, message):
    with pytest.raises(SchedulerConfigError, match=message):
        OneCycleLR(_sgd(groups=2), **kwargs)


@pytest.mark.parametrize("pct_start", [0.0, 1.0])
def test_one_cycle_pct_start_bounds_are_allowed(pct_start):
    assert OneCycleLR(_sgd(), total_steps=10, pct_start=pct_start).pct_start == pct_start


def test_one_cycle_of_one_step():
    sched = OneCycleLR(_sgd(), total_steps=1)
    assert sched.total_steps == 1 and sched.get_last_value() == pytest.approx([0.1 / 25 / 1e4])


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_matches_torch_up_to_the_last_step(three_phase):
    kw = dict(total_steps=10, pct_start=0.3, anneal_strategy="linear", div_factor=10, final_div_factor=100,
              three_phase=three_phase)
    opt, ref_opt = _sgd(), _sgd()
    sched = OneCycleLR(opt, eta_max=1.0, **kw)
    ref = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=1.0, cycle_momentum=False, **kw)
    for _ in range(10):
        opt.step(), ref_opt.step()
        sched.step(), ref.step()
    assert sched.get_last_value() == pytest.approx(ref.get_last_lr(), rel=1e-9)
    with pytest.raises(SchedulerConfigError, match="tried to step 11 times, but total_steps is 10"):
        sched.step()


def test_one_cycle_resumes_without_resetting_the_cycle_values():
    opt = _sgd()
    sched = OneCycleLR(opt, eta_max=0.1, total_steps=10)
    for _ in range(3):
        sched.step()
    resumed = OneCycleLR(opt, eta_max=0.5, total_steps=10, last_step=3)
    assert opt.param_groups[0]["max_lr"] == 0.1
    assert resumed.base_values == [0.1 / 25]


# -- CosineRestart -----------------------------------------------------------------------------------


def test_cosine_restart_defaults_to_full_restarts_down_to_zero():
    values = _values(CosineRestartLR(_sgd(), periods=[2]), 3)
    assert values == pytest.approx([0.1, 0.05, 0.05], abs=1e-12)


def test_cosine_restart_eta_min_ratio():
    values = _values(CosineRestartLR(_sgd(), periods=[2], eta_min_ratio=0.2), 2)
    assert values == pytest.approx([0.1, (0.1 + 0.02) / 2])


@pytest.mark.parametrize("kwargs, message", [
    ({"periods": [2], "eta_min": 0.1, "eta_min_ratio": 0.1}, "either eta_min or eta_min_ratio, not both"),
    ({"periods": [], "restart_weights": []}, "periods must be non-empty and positive, but got \\[\\]"),
    ({"periods": [0]}, "periods must be non-empty and positive, but got \\[0\\]"),
    ({"periods": [-1]}, "periods must be non-empty and positive"),
    ({"periods": [2, 2]}, "periods \\(2\\) and restart_weights \\(1\\) must have the same length"),
])
def test_cosine_restart_bad_arguments(kwargs, message):
    with pytest.raises(SchedulerConfigError, match=message):
        CosineRestartLR(_sgd(), **kwargs)


def test_cosine_restart_periods_of_one():
    assert _values(CosineRestartLR(_sgd(), periods=[1, 1], restart_weights=[1, 0.5]), 3) == pytest.approx(
        [0.1, 0.05, 0.05])


# -- ReduceOnPlateau ---------------------------------------------------------------------------------


def _plateau(values, groups=1, **kw):
    """The lr of group 0 after each epoch (step() then step(metrics)) with ``loss`` = each value."""
    opt = _sgd(groups=groups)
    sched = ReduceOnPlateauLR(opt, **kw)
    lrs = []
    for value in values:
        sched.step()
        sched.step({"loss": value, "acc": value})
        lrs.append(opt.param_groups[0]["lr"])
    return lrs, sched, opt


def test_plateau_defaults():
    sched = ReduceOnPlateauLR(_sgd())
    assert (sched.monitor, sched.rule, sched.factor, sched.patience, sched.threshold, sched.threshold_rule,
            sched.cooldown, sched.min_values, sched.eps) == ("loss", "less", 0.1, 10, 1e-4, "rel", 0, [0.0], 1e-8)
    assert ReduceOnPlateauLR.need_val_args is True and sched.need_val_args is True


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": 1.0}, r"factor must be in \[0, 1\), but got 1.0"),
    ({"factor": -0.1}, r"factor must be in \[0, 1\), but got -0.1"),
    ({"rule": "up"}, "rule must be 'less' or 'greater', but got 'up'"),
    ({"threshold_rule": "pct"}, "threshold_rule must be 'rel' or 'abs', but got 'pct'"),
    ({"patience": -1}, "patience must be a non-negative int, but got -1"),
    ({"patience": "2"}, "patience must be a non-negative int, but got '2'"),
    ({"min_value": [0.0, 0.0]}, "min_value has 2 values but the optimizer has 1 groups"),
    ({"by_epoch": False}, "epoch-based only"),
])
def test_plateau_bad_arguments(kwargs, message):
    with pytest.raises(SchedulerConfigError, match=message):
        ReduceOnPlateauLR(_sgd(), **kwargs)


def test_plateau_factor_zero_and_patience_zero_are_allowed():
    lrs, _, _ = _plateau([1.0, 2.0], factor=0.0, patience=0)
    assert lrs == [0.1, 0.0]


def test_plateau_metrics_must_be_a_dict_with_the_monitored_key():
    sched = ReduceOnPlateauLR(_sgd())
    with pytest.raises(TypeError, match="needs a dict, but got list"):
        sched.step([1.0])
    with pytest.raises(KeyError, match="monitored key 'loss' is not in the metrics \\['acc'\\]"):
        sched.step({"acc": 1.0})


@pytest.mark.parametrize("rule, threshold_rule, equal, better", [
    # best 10, threshold 0.5: the bound is 5 (less, rel), 9.5 (less, abs), 15 (greater, rel), 10.5 (greater, abs)
    ("less", "rel", 5.0, 4.99), ("less", "abs", 9.5, 9.49),
    ("greater", "rel", 15.0, 15.01), ("greater", "abs", 10.5, 10.51),
])
def test_plateau_improvement_is_strictly_past_the_threshold(rule, threshold_rule, equal, better):
    common = dict(monitor="loss", rule=rule, threshold=0.5, threshold_rule=threshold_rule, patience=0, factor=0.5)
    lrs, _, _ = _plateau([10.0, equal], **common)
    assert lrs == [0.1, 0.05]  # equal to the bound: no improvement
    lrs, sched, _ = _plateau([10.0, better], **common)
    assert lrs == [0.1, 0.1] and sched.best == better


def test_plateau_rel_and_abs_differ():
    # less: best 10, threshold 0.1 -> rel bound 9.0, abs bound 9.9; 9.5 improves only by abs
    assert _plateau([10.0, 9.5], threshold=0.1, threshold_rule="abs", patience=0, factor=0.5)[0] == [0.1, 0.1]
    assert _plateau([10.0, 9.5], threshold=0.1, threshold_rule="rel", patience=0, factor=0.5)[0] == [0.1, 0.05]
    # greater: rel bound 11, abs bound 10.1; 10.5 improves only by abs
    kw = dict(rule="greater", threshold=0.1, patience=0, factor=0.5)
    assert _plateau([10.0, 10.5], threshold_rule="abs", **kw)[0] == [0.1, 0.1]
    assert _plateau([10.0, 10.5], threshold_rule="rel", **kw)[0] == [0.1, 0.05]


def test_plateau_an_improvement_resets_the_bad_epochs():
    lrs, _, _ = _plateau([1.0, 2.0, 2.0, 0.5, 2.0, 2.0], patience=2, factor=0.5)
    assert lrs == [0.1] * 6
    lrs, _, _ = _plateau([1.0, 2.0, 2.0, 2.0, 2.0], patience=2, factor=0.5)
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05]  # and the count starts again after a reduction


def test_plateau_nan_counts_as_a_bad_epoch_from_the_start():
    lrs, sched, _ = _plateau([math.nan, math.nan, math.nan], patience=1, factor=0.5)
    assert lrs == [0.1, 0.05, 0.05] and sched.best == math.inf
    assert _plateau([math.nan], patience=0, factor=0.5)[0] == [0.05]


def test_plateau_cooldown_skips_that_many_epochs():
    lrs, _, _ = _plateau([1.0, 2.0, 2.0, 2.0, 2.0, 2.0], patience=0, factor=0.5, cooldown=2)
    # reduce at epoch 2; epochs 3 and 4 cool down; epoch 5 counts and reduces
    assert lrs == pytest.approx([0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


def test_plateau_eps_and_min_value():
    opt = _sgd(lr=1.0)
    sched = ReduceOnPlateauLR(opt, patience=0, factor=0.5, eps=0.5)
    for value in (1.0, 2.0):
        sched.step({"loss": value})
    assert opt.param_groups[0]["lr"] == 1.0  # 1.0 -> 0.5 changes it by exactly eps: ignored
    lrs, _, opt = _plateau([1.0, 2.0, 2.0], groups=2, patience=0, factor=0.5, min_value=[0.06, 0.15])
    assert lrs == [0.1, 0.06, 0.06]
    assert opt.param_groups[1]["lr"] == 0.15


def test_plateau_counts_steps_and_keeps_its_window_when_only_metrics_step():
    opt = _sgd()
    sched = ReduceOnPlateauLR(opt, patience=0, factor=0.5, end=3)
    sched.step()  # epoch 1, counted by step()
    sched.step({"loss": 1.0})
    assert sched.last_step == 0  # counts the steps with metrics
    sched.step({"loss": 2.0})  # epoch 2, counted by the metrics step itself: reduces
    sched.step({"loss": 3.0})  # epoch 3: outside [0, 3)
    assert opt.param_groups[0]["lr"] == 0.05 and sched.last_step == 1


def test_plateau_last_value_follows_the_groups():
    opt = _sgd()
    sched = ReduceOnPlateauLR(opt)
    opt.param_groups[0]["lr"] = 0.3  # e.g. another scheduler in the chain
    sched.step()
    assert sched.get_last_value() == [0.3]
    opt.param_groups[0]["lr"] = 0.2
    sched.step({"loss": 1.0})
    assert sched.get_last_value() == [0.2]
