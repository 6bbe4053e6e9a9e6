"""Every scheduler registered in PARAM_SCHEDULERS: built from a config, stepped, round-tripped."""

from __future__ import annotations

import io

import mme.optim  # noqa: F401  (registers the schedulers)
import pytest
import torch
from mme.optim import OptimWrapper, SchedulerConfigError
from mme.registry import PARAM_SCHEDULERS

FAMILY_ARGS = {
    "Constant": dict(factor=0.5, end=6),
    "CosineAnnealing": dict(T_max=5),
    "Exponential": dict(gamma=0.9),
    "Linear": dict(start_factor=0.5, end=4),
    "MultiStep": dict(milestones=[2, 4]),
    "Step": dict(step_size=2),
    "Poly": dict(end=9, power=2.0),
    "OneCycle": dict(eta_max=0.5, total_steps=20),
    "CosineRestart": dict(periods=[3, 4], restart_weights=[1.0, 0.5]),
    "ReduceOnPlateau": dict(patience=0, monitor="loss"),
}
SUFFIXES = ("ParamScheduler", "LR", "Momentum")


def _split(name: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    raise AssertionError(f"unexpected scheduler name {name}")


def _optimizer(wrapped: bool):
    params = [{"params": [torch.nn.Parameter(torch.zeros(2))]}, {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.2}]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return OptimWrapper(opt) if wrapped else opt


def _cfg(name: str) -> dict:
    family, suffix = _split(name)
    cfg = dict(type=name, **FAMILY_ARGS[family])
    if suffix == "ParamScheduler":
        cfg["param_name"] = "lr"
    return cfg


def _step(scheduler, k: int) -> None:
    if getattr(scheduler, "need_val_args", False):
        scheduler.step()
        scheduler.step({"loss": 1.0 + k})
    else:
        scheduler.step()


ALL = sorted(PARAM_SCHEDULERS.module_dict)


def test_all_families_and_variants_are_registered():
    names = set(ALL)
    for family in FAMILY_ARGS:
        if family == "OneCycle":
            expected = {"OneCycleLR", "OneCycleParamScheduler"}
        else:
            expected = {f"{family}{s}" for s in SUFFIXES}
        assert expected <= names, family
    assert "OneCycleMomentum" not in names
    assert len(names) == 29


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("wrapped", [False, True])
def test_build_step_and_round_trip(name, wrapped):
    opt = _optimizer(wrapped)
    sched = PARAM_SCHEDULERS.build(_cfg(name), default_args=dict(optimizer=opt))
    assert type(sched).__name__ == name
    key = "momentum" if name.endswith("Momentum") else "lr"
    for k in range(3):
        _step(sched, k)
        assert sched.get_last_value() == [g[key] for g in opt.param_groups]
    state = sched.state_dict()
    assert "optimizer" not in state
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # checkpoints hold plain data only

    # resume order of a Runner: build the scheduler, then load the optimizer and scheduler states
    twin_opt = _optimizer(wrapped)
    twin = PARAM_SCHEDULERS.build(_cfg(name), default_args=dict(optimizer=twin_opt))
    twin_opt.load_state_dict(opt.state_dict())
    twin.load_state_dict(state)
    for k in range(3, 8):
        _step(sched, k)
        _step(twin, k)
        assert twin.get_last_value() == pytest.approx(sched.get_last_value())
        assert [g[key] for g in twin_opt.param_groups] == pytest.approx([g[key] for g in opt.param_groups])


@pytest.mark.parametrize("name", [n for n in ALL if not n.startswith("ReduceOnPlateau")])
def test_convert_to_iter_based(name):
    family, _ = _split(name)
    cfg = dict(_cfg(name), convert_to_iter_based=True, begin=1, end=3, by_epoch=True)
    cfg.pop("total_steps", None)
    sched = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=_optimizer(False), epoch_length=10))
    assert (sched.begin, sched.end, sched.by_epoch) == (10, 30, False)
    if family == "CosineAnnealing":
        assert sched.T_max == 50
    if family == "CosineRestart":
        assert sched.periods == [30, 40]
    if family == "OneCycle":
        assert sched.total_steps == 20  # end - begin of the converted window


def test_convert_with_total_steps_and_errors():
    sched = PARAM_SCHEDULERS.build(
        dict(type="OneCycleLR", eta_max=0.1, total_steps=4, by_epoch=True, convert_to_iter_based=True),
        default_args=dict(optimizer=_optimizer(False), epoch_length=5))
    assert sched.total_steps == 20
    with pytest.raises(SchedulerConfigError, match="by_epoch=False"):
        PARAM_SCHEDULERS.build(dict(type="StepLR", step_size=1, by_epoch=False, convert_to_iter_based=True),
                               default_args=dict(optimizer=_optimizer(False), epoch_length=5))
    with pytest.raises(SchedulerConfigError, match="epoch-based only"):
        PARAM_SCHEDULERS.build(dict(type="ReduceOnPlateauLR", convert_to_iter_based=True),
                               default_args=dict(optimizer=_optimizer(False), epoch_length=5))
    # epoch_length is dropped when not converting
    sched = PARAM_SCHEDULERS.build(dict(type="StepLR", step_size=1), default_args=dict(optimizer=_optimizer(False), epoch_length=5))
    assert sched.by_epoch is True


def test_unknown_scheduler_type_names_close_matches():
    with pytest.raises(KeyError, match="CosineAnnealingLR"):
        PARAM_SCHEDULERS.build(dict(type="CosineAnealingLR"), default_args=dict(optimizer=_optimizer(False)))
    with pytest.raises(KeyError, match="CosineAnnealingLR"):
        PARAM_SCHEDULERS.build(dict(type="CosineAnealingLR", convert_to_iter_based=True),
                               default_args=dict(optimizer=_optimizer(False), epoch_length=3))


def test_end_before_begin_from_config_names_the_values():
    with pytest.raises(SchedulerConfigError, match="begin=4, end=2"):
        PARAM_SCHEDULERS.build(dict(type="LinearLR", begin=4, end=2), default_args=dict(optimizer=_optimizer(False)))
