"""Every scheduler family against its closed form, step by step."""

from __future__ import annotations

import math

import pytest
import torch
from mme.optim import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    LinearMomentum,
    MissingInitialValueError,
    MultiStepLR,
    OneCycleLR,
    OptimWrapper,
    PolyLR,
    ReduceOnPlateauLR,
    SchedulerConfigError,
    StepLR,
    StepMomentum,
    StepParamScheduler,
)

BASE = 0.1


def _sgd(lr: float = BASE, momentum: float = 0.9, groups: int = 2) -> torch.optim.SGD:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * (i + 1)} for i in range(groups)]
    return torch.optim.SGD(params, lr=lr, momentum=momentum)


def _run(scheduler_factory, steps: int, groups: int = 2):
    """Values of group ``i`` after construction and each of ``steps - 1`` further steps."""
    opt = _sgd(groups=groups)
    sched = scheduler_factory(opt)
    values = [list(sched.get_last_value())]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        values.append(list(sched.get_last_value()))
    return values


def _check(values, closed_form, groups: int = 2) -> None:
    for k, row in enumerate(values):
        for i in range(groups):
            base = BASE * (i + 1)
            assert row[i] == pytest.approx(closed_form(k, base), rel=1e-9, abs=1e-12), (k, i)


def test_step():
    values = _run(lambda o: StepLR(o, step_size=3, gamma=0.5), 12)
    _check(values, lambda k, b: b * 0.5 ** (k // 3))


def test_multistep_with_repeated_milestone():
    values = _run(lambda o: MultiStepLR(o, milestones=[2, 5, 5], gamma=0.1), 8)
    _check(values, lambda k, b: b * 0.1 ** sum(m <= k for m in [2, 5, 5]))


def test_constant():
    values = _run(lambda o: ConstantLR(o, factor=0.25, end=5), 8)
    _check(values, lambda k, b: b * 0.25 if k < 4 else b)


def test_exponential():
    values = _run(lambda o: ExponentialLR(o, gamma=0.9), 10)
    _check(values, lambda k, b: b * 0.9**k)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing(eta_min):
    values = _run(lambda o: CosineAnnealingLR(o, T_max=10, eta_min=eta_min), 25)

    def closed(k, b):
        return eta_min + (b - eta_min) * (1 + math.cos(math.pi * k / 10)) / 2

    _check(values, closed)


def test_cosine_annealing_eta_min_ratio_and_default_t_max():
    values = _run(lambda o: CosineAnnealingLR(o, eta_min_ratio=0.1, end=8), 8)
    _check(values, lambda k, b: 0.1 * b + 0.9 * b * (1 + math.cos(math.pi * k / 8)) / 2)


def test_cosine_annealing_matches_torch():
    opt = _sgd()
    sched = CosineAnnealingLR(opt, T_max=7, eta_min=0.001)
    ref_opt = _sgd()
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=7, eta_min=0.001)
    for _ in range(30):
        assert sched.get_last_value() == pytest.approx(ref.get_last_lr())
        opt.step(), ref_opt.step()
        sched.step(), ref.step()


def test_linear():
    values = _run(lambda o: LinearLR(o, start_factor=0.2, end_factor=0.8, end=6), 9)
    _check(values, lambda k, b: b * (0.2 + 0.6 * min(k, 5) / 5))


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_poly(power):
    values = _run(lambda o: PolyLR(o, eta_min=0.001, power=power, end=11), 14)
    _check(values, lambda k, b: (b - 0.001) * (1 - min(k, 10) / 10) ** power + 0.001)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_matches_torch(strategy, three_phase):
    kw = dict(total_steps=20, pct_start=0.3, anneal_strategy=strategy, div_factor=10, final_div_factor=100,
              three_phase=three_phase)
    opt = _sgd()
    sched = OneCycleLR(opt, eta_max=[1.0, 2.0], **kw)
    ref_opt = _sgd()
    ref = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=[1.0, 2.0], cycle_momentum=False, **kw)
    for _ in range(20):
        assert sched.get_last_value() == pytest.approx(ref.get_last_lr(), rel=1e-9)
        opt.step(), ref_opt.step()
        sched.step(), ref.step()


def test_one_cycle_phase_end_points():
    opt = _sgd(groups=1)
    sched = OneCycleLR(opt, eta_max=1.0, total_steps=10, pct_start=0.3, div_factor=10, final_div_factor=100)
    values = [sched.get_last_value()[0]]
    for _ in range(9):
        sched.step()
        values.append(sched.get_last_value()[0])
    assert values[0] == pytest.approx(0.1)  # initial = eta_max / div_factor
    assert values[2] == pytest.approx(1.0)  # end of phase one: step pct_start * total - 1
    assert values[9] == pytest.approx(0.001)  # min = initial / final_div_factor at total - 1
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.1)
    assert opt.param_groups[0]["max_lr"] == 1.0


def test_one_cycle_past_total_steps_is_an_error():
    sched = OneCycleLR(_sgd(), eta_max=1.0, total_steps=3)
    sched.step(), sched.step(), sched.step()
    with pytest.raises(SchedulerConfigError, match="total_steps is 3"):
        sched.step()


def test_cosine_restart():
    periods, weights = [4, 6], [1.0, 0.5]
    values = _run(lambda o: CosineRestartLR(o, periods=periods, restart_weights=weights, eta_min=0.001), 13)

    def closed(k, b):
        if k < 4:
            top, s, t = b, k, 4
        elif k < 10:
            top, s, t = b * 0.5, k - 4, 6
        else:  # past the last period: value unchanged
            top, s, t = b * 0.5, 5, 6
        return 0.001 + (top - 0.001) * (1 + math.cos(math.pi * s / t)) / 2

    _check(values, closed)


def test_warmup_then_cosine_chain():
    opt = _sgd()
    warm = LinearLR(opt, start_factor=0.1, begin=0, end=5, by_epoch=False)
    cos = CosineAnnealingLR(opt, T_max=15, eta_min=0.0, begin=5, end=20, by_epoch=False)
    for k in range(25):
        for i, group in enumerate(opt.param_groups):
            b = BASE * (i + 1)
            if k < 5:
                expected = b * (0.1 + 0.9 * k / 4)
            elif k < 20:
                expected = b * (1 + math.cos(math.pi * (k - 5) / 15)) / 2
            else:
                expected = b * (1 + math.cos(math.pi * 14 / 15)) / 2
            assert group["lr"] == pytest.approx(expected, abs=1e-12), (k, i)
        opt.step()
        warm.step()
        cos.step()


def test_begin_end_window_leaves_groups_untouched_outside():
    values = _run(lambda o: ExponentialLR(o, gamma=0.5, begin=2, end=5), 8)
    _check(values, lambda k, b: b * 0.5 ** max(0, min(k, 4) - 2))


def test_reduce_on_plateau():
    opt = _sgd(groups=1)
    sched = ReduceOnPlateauLR(opt, monitor="loss", patience=1, factor=0.5, cooldown=1, min_value=0.02)
    lrs = []
    for loss in [1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]:
        sched.step()  # end of a training epoch
        sched.step({"loss": loss})
        lrs.append(opt.param_groups[0]["lr"])
    # bad epochs: 0.6 x2 -> reduce (0.05); cooldown 1 epoch; 2 more bad -> 0.025; then floor 0.02
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02])


def test_reduce_on_plateau_greater_abs_and_errors():
    opt = _sgd(groups=1)
    sched = ReduceOnPlateauLR(opt, monitor="acc", rule="greater", threshold_rule="abs", threshold=0.1, patience=0)
    sched.step({"acc": 0.5})
    sched.step({"acc": 0.55})  # not better by 0.1 -> reduce
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    with pytest.raises(KeyError, match="acc"):
        ReduceOnPlateauLR(_sgd(), monitor="acc").step({"loss": 1.0})
    with pytest.raises(SchedulerConfigError, match="factor"):
        ReduceOnPlateauLR(_sgd(), factor=1.5)
    with pytest.raises(SchedulerConfigError, match="epoch-based"):
        ReduceOnPlateauLR(_sgd(), by_epoch=False)


def test_momentum_on_sgd_and_adam_betas():
    opt = _sgd(momentum=0.9, groups=1)
    sched = StepMomentum(opt, step_size=2, gamma=0.5)
    sched.step(), sched.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.45)
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1, betas=(0.9, 0.99))
    sched = LinearMomentum(adam, start_factor=0.5, end=3)
    assert adam.param_groups[0]["betas"] == pytest.approx((0.45, 0.99))
    sched.step(), sched.step()
    assert adam.param_groups[0]["betas"] == pytest.approx((0.9, 0.99))
    wrapper = OptimWrapper(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], betas=(0.8, 0.9)))
    CosineAnnealingMomentum(wrapper, T_max=4)
    assert wrapper.get_momentum() == {"momentum": [0.8]}
    with pytest.raises(SchedulerConfigError, match="neither 'momentum' nor 'betas'"):
        StepMomentum(torch.optim.Adadelta([torch.nn.Parameter(torch.zeros(1))]), step_size=1)


def test_end_not_after_begin_is_rejected_with_the_values():
    with pytest.raises(SchedulerConfigError, match=r"begin=5, end=5"):
        StepLR(_sgd(), step_size=1, begin=5, end=5)
    with pytest.raises(SchedulerConfigError, match=r"begin=3, end=1"):
        StepParamScheduler(_sgd(), "lr", step_size=1, begin=3, end=1)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda o: LinearLR(o, start_factor=1.5), "start_factor"),
        (lambda o: LinearLR(o, end_factor=-0.1), "end_factor"),
        (lambda o: ConstantLR(o, factor=2.0), "factor"),
        (lambda o: ConstantLR(o, factor=0.0, end=3), "factor=0"),
        (lambda o: LinearLR(o, start_factor=0.0), "start_factor=0"),
        (lambda o: CosineAnnealingLR(o, T_max=3, eta_min=0.0, eta_min_ratio=0.1), "not both"),
        (lambda o: CosineRestartLR(o, periods=[2, 3], restart_weights=[1.0]), "same length"),
        (lambda o: OneCycleLR(o, eta_max=0.1), "total_steps"),
        (lambda o: OneCycleLR(o, eta_max=0.1, total_steps=5, anneal_strategy="exp"), "anneal_strategy"),
        (lambda o: StepLR(o, step_size=0), "step_size"),
    ],
)
def test_bad_arguments(factory, match):
    with pytest.raises(SchedulerConfigError, match=match):
        factory(_sgd())


def test_resume_without_initial_value_is_a_key_error():
    with pytest.raises(MissingInitialValueError, match="initial_lr"):
        StepLR(_sgd(), step_size=1, last_step=3)
    opt = _sgd()
    StepLR(opt, step_size=1)
    StepLR(opt, step_size=1, last_step=3)  # initial_lr is there now


def test_optimizer_type_is_checked():
    with pytest.raises(TypeError, match="torch optimizer or an OptimWrapper"):
        StepLR(object(), step_size=1)


def test_build_iter_from_epoch_scales_period_arguments():
    sched = CosineAnnealingLR.build_iter_from_epoch(_sgd(), T_max=2, begin=1, end=3, epoch_length=10)
    assert (sched.begin, sched.end, sched.T_max, sched.by_epoch) == (10, 30, 20, False)
    sched = CosineRestartLR.build_iter_from_epoch(_sgd(), periods=[1, 2], restart_weights=[1, 1], epoch_length=5)
    assert sched.periods == [5, 10] and sched.end == math.inf
    sched = OneCycleLR.build_iter_from_epoch(_sgd(), eta_max=0.1, total_steps=3, epoch_length=4)
    assert sched.total_steps == 12
    sched = MultiStepLR.build_iter_from_epoch(_sgd(), milestones=[1, 3], epoch_length=4)
    assert sched.milestones == {4: 1, 12: 1}
    sched = StepLR.build_iter_from_epoch(_sgd(), step_size=2, epoch_length=4)
    assert sched.step_size == 8
    with pytest.raises(SchedulerConfigError, match="by_epoch=True"):
        StepLR.build_iter_from_epoch(_sgd(), step_size=1, by_epoch=False, epoch_length=4)
    with pytest.raises(SchedulerConfigError, match="epoch_length"):
        ExponentialLR.build_iter_from_epoch(_sgd(), gamma=0.5, epoch_length=0)


@pytest.mark.parametrize("count_epochs", [True, False])
def test_reduce_on_plateau_window_counts_epochs_either_way(count_epochs):
    opt = _sgd(groups=1)
    sched = ReduceOnPlateauLR(opt, patience=0, begin=2, end=4)
    lrs = []
    for _ in range(6):
        if count_epochs:
            sched.step()  # a Runner counting epochs after training
        sched.step({"loss": 1.0})  # never improves after the first call in the window
        lrs.append(opt.param_groups[0]["lr"])
    # epochs 1 outside, 2 (first in window: best set), 3 reduce, then outside the window
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.01, 0.01])


def test_verbose_logs_each_update(caplog):
    with caplog.at_level("INFO", logger="mme.optim"):
        sched = StepLR(_sgd(groups=1), step_size=1, gamma=0.5, verbose=True)
        sched.step()
    assert "StepLR: adjusting lr of group 0 to 5.0000e-02" in caplog.text
