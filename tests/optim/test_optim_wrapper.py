"""OptimWrapper, AmpOptimWrapper and OptimWrapperDict."""

from __future__ import annotations

import contextlib

import pytest
import torch
from mme.logging import MessageHub
from mme.optim import (
    AmpOptimWrapper,
    NonFiniteGradError,
    OptimConfigError,
    OptimTypeError,
    OptimWrapper,
    OptimWrapperDict,
)
from torch import nn


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def _data(n: int = 7):
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(3, 4, generator=g), torch.randn(3, 1, generator=g)) for _ in range(n)]


def _loss(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def test_update_params_equals_plain_loop():
    ref, model = _model(), _model()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    for batch in _data():
        loss = _loss(ref, batch)
        loss.backward(), ref_opt.step(), ref_opt.zero_grad()
        wrapper.update_params(_loss(model, batch))
    for p, q in zip(ref.parameters(), model.parameters()):
        torch.testing.assert_close(p, q)
    assert wrapper.inner_count == 7


def test_accumulation_scales_loss_and_handles_last_incomplete_group():
    """7 iterations, accumulative_counts=3: updates average batches {0,1,2}, {3,4,5} and {6}."""
    data = _data(7)
    ref = _model()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for group in ([0, 1, 2], [3, 4, 5], [6]):
        ref_opt.zero_grad()
        torch.stack([_loss(ref, data[i]) for i in group]).mean().backward()
        ref_opt.step()
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=3)
    wrapper.initialize_count_status(model, 0, 7)
    updates = []
    for batch in data:
        wrapper.update_params(_loss(model, batch))
        updates.append(wrapper.should_update())
    assert updates == [False, False, True, False, False, True, True]
    for p, q in zip(ref.parameters(), model.parameters()):
        torch.testing.assert_close(p, q)


def test_scale_loss_factors():
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=4)
    one = torch.tensor(1.0)
    assert wrapper.scale_loss(one).item() == pytest.approx(0.25)  # not initialised: divide by counts
    wrapper.initialize_count_status(model, 8, 10)
    assert wrapper.scale_loss(one).item() == pytest.approx(0.5)  # last group has 2 iterations


def test_resume_not_divisible_is_logged(caplog):
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=4)
    with caplog.at_level("WARNING"):
        wrapper.initialize_count_status(model, 3, 10)
    assert "not divisible by accumulative_counts=4" in caplog.text


def test_should_sync_and_optim_context_uses_no_sync():
    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1)
            self.calls = 0

        @contextlib.contextmanager
        def no_sync(self):
            self.calls += 1
            yield

    model = Recorder()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 5)
    syncs = []
    for _ in range(5):
        syncs.append(wrapper.should_sync())
        with wrapper.optim_context(model):
            wrapper.update_params(model.lin(torch.ones(1, 2)).sum())
    assert syncs == [False, True, False, True, True]
    assert model.calls == 2

    plain = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with plain.optim_context(model):  # without accumulation every backward syncs
        plain.update_params(model.lin(torch.ones(1, 2)).sum())
    assert model.calls == 2


def test_clip_grad_norm_records_grad_norm_in_message_hub():
    hub = MessageHub.get_instance("test_clip")
    model = _model()
    for p in model.parameters():
        p.grad = torch.full_like(p, 10.0)
    expected = torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0), clip_grad=dict(max_norm=1.0))
    wrapper.step()
    total = torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item()
    assert total == pytest.approx(1.0, rel=1e-4)
    assert hub.get_scalar("train/grad_norm").current() == pytest.approx(expected, rel=1e-5)


def test_clip_grad_value():
    model = _model()
    for p in model.parameters():
        p.grad = torch.full_like(p, 10.0)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0), clip_grad=dict(type="value", clip_value=0.5))
    wrapper.step()
    assert all(p.grad.max().item() == pytest.approx(0.5) for p in model.parameters())


def _poison(model, value):
    """Make the next backward of ``model`` give ``value`` in the gradient of its last layer's bias."""

    def hook(grad):
        grad = grad.clone()
        grad[0] = value
        return grad

    return model[2].bias.register_hook(hook)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nonfinite_gradient_raises_naming_iteration_and_parameter(value):
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    wrapper.initialize_count_status(model, 0, 10)
    batches = _data(3)
    wrapper.update_params(_loss(model, batches[0]))
    wrapper.update_params(_loss(model, batches[1]))
    before = [p.detach().clone() for p in model.parameters()]
    momentum = [wrapper.optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()]
    _poison(model, value)
    loss = _loss(model, batches[2])
    assert torch.isfinite(loss)
    with pytest.raises(NonFiniteGradError, match=r"iteration 3 in 1 of 4 parameters: 2\.bias;"):
        wrapper.update_params(loss)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(torch.equal(wrapper.optimizer.state[p]["momentum_buffer"], m)
               for p, m in zip(model.parameters(), momentum))


def test_nonfinite_gradient_skip_mode_zeroes_counts_and_logs(caplog):
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), nonfinite_grad="skip")
    batches = _data(4)
    wrapper.update_params(_loss(model, batches[0]))
    before = [p.detach().clone() for p in model.parameters()]
    handle = _poison(model, float("nan"))
    with caplog.at_level("WARNING", logger="mme.optim"):
        wrapper.update_params(_loss(model, batches[1]))
    handle.remove()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    assert wrapper.skipped_steps == 1
    assert "iteration 2 in 1 of 4 parameters: parameter #3 (1); skipping this update (1 skipped so far)" in caplog.text
    wrapper.update_params(_loss(model, batches[2]))  # training goes on with finite updates
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert wrapper.skipped_steps == 1


def test_nonfinite_gradient_names_without_a_model_and_off_mode():
    model = _model()
    for p in model.parameters():
        p.grad = torch.full_like(p, float("nan"))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(NonFiniteGradError, match=r"4 of 4 parameters: parameter #0 \(8x4\), parameter #1 \(8\)"):
        wrapper.step()
    wrapper.nonfinite_grad = "off"
    wrapper.step()
    assert all(torch.isnan(p).all() for p in model.parameters())
    with pytest.raises(OptimConfigError, match="nonfinite_grad must be one of 'raise', 'skip', 'off'"):
        wrapper.nonfinite_grad = "warn"


@pytest.mark.parametrize(
    ("grad", "finite"),
    [
        (torch.tensor([1.0, 0.0, float("nan"), 0.0]).to_sparse(), False),
        (torch.tensor([0.0, 2.0, 0.0, 0.0]).to_sparse(), True),
        (torch.tensor([1 + 1j, complex(0, float("inf")), 0, 0]), False),
        (torch.tensor([1 + 1j, 2j, 0, 0]), True),
        *[(torch.tensor([1.0, float("inf"), 0.0, 0.0], dtype=d), False) for d in (torch.float16, torch.bfloat16)],
        *[(torch.tensor([1.0, 60000.0, 0.0, 0.0], dtype=d), True) for d in (torch.float16, torch.bfloat16)],
        (torch.tensor([1.5, -2.0, 0.0, float("nan")], dtype=torch.float64), False),
    ],
)
def test_nonfinite_check_covers_sparse_complex_and_low_precision_gradients(grad, finite):
    param = nn.Parameter(torch.zeros(4, dtype=grad.dtype))
    others = nn.Linear(2, 2)
    for p in others.parameters():
        p.grad = torch.ones_like(p)
    wrapper = OptimWrapper(torch.optim.SGD([param, *others.parameters()], lr=1.0))
    param.grad = grad.clone()
    if finite:
        wrapper.step()
        assert torch.equal(param.detach(), -grad.to_dense())  # the gradient reached the optimizer unchanged
    else:
        with pytest.raises(NonFiniteGradError, match=r"in 1 of 3 parameters: parameter #0 \(4\)"):
            wrapper.step()


def test_amp_leaves_nonfinite_gradients_to_its_scaler():
    model = _model()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss_scale="dynamic")
    scale = wrapper.loss_scaler.get_scale()
    _poison(model, float("nan"))
    wrapper.update_params(_loss(model, _data(1)[0]))  # no NonFiniteGradError: the scaler skips the step
    assert wrapper.loss_scaler.get_scale() == scale / 2
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(nonfinite_grad="ignore"), "nonfinite_grad"),
        (dict(clip_grad=dict(type="max", max_norm=1)), "'norm' or 'value'"),
        (dict(clip_grad=dict()), "non-empty dict"),
        (dict(clip_grad=dict(type="value")), "clip_value"),
        (dict(accumulative_counts=0), "accumulative_counts"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(OptimConfigError, match=match):
        OptimWrapper(torch.optim.SGD(_model().parameters(), lr=0.1), **kwargs)


def test_wraps_only_optimizers():
    with pytest.raises(OptimTypeError, match="torch.optim.Optimizer"):
        OptimWrapper(object())


def test_lr_momentum_and_state_dict_round_trip():
    model = _model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert wrapper.get_lr() == {"lr": [0.1]}
    assert wrapper.get_momentum() == {"momentum": [0.9]}
    adam = OptimWrapper(torch.optim.Adam(model.parameters(), betas=(0.8, 0.99)))
    assert adam.get_momentum() == {"momentum": [0.8]}
    assert OptimWrapper(torch.optim.Adadelta(model.parameters())).get_momentum() == {"momentum": [0]}
    for batch in _data(2):
        wrapper.update_params(_loss(model, batch))
    state = wrapper.state_dict()
    other = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.1))
    other.load_state_dict(state)
    assert other.get_lr() == {"lr": [0.1]}
    assert other.param_groups is other.optimizer.param_groups
    assert "accumulative_counts=1" in repr(other)


@pytest.mark.parametrize("dtype", [None, "float16", "bfloat16", torch.bfloat16])
@pytest.mark.parametrize("loss_scale", ["dynamic", 512.0, dict(init_scale=256.0, growth_interval=1)])
def test_amp_on_cpu(dtype, loss_scale):
    model = _model()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss_scale=loss_scale,
                              dtype=dtype, clip_grad=dict(max_norm=10.0))
    before = [p.detach().clone() for p in model.parameters()]
    for batch in _data(3):
        with wrapper.optim_context(model):
            out = model(batch[0])
            assert out.dtype == (torch.bfloat16 if dtype in ("bfloat16", torch.bfloat16) else torch.float16)
            loss = ((out.float() - batch[1]) ** 2).mean()
        wrapper.update_params(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    state = wrapper.state_dict()
    assert "loss_scaler" in state
    if isinstance(loss_scale, float):
        assert state["loss_scaler"]["scale"] == 512.0
    other = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    other.load_state_dict(state)
    assert other.loss_scaler.get_scale() == wrapper.loss_scaler.get_scale()


def test_amp_skips_step_on_inf_and_backs_off():
    model = _model()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss_scale="dynamic")
    before = [p.detach().clone() for p in model.parameters()]
    scale = wrapper.loss_scaler.get_scale()
    wrapper.update_params(model(torch.ones(1, 4)).sum() * float("inf"))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert wrapper.loss_scaler.get_scale() == scale / 2


@pytest.mark.parametrize(("kwargs", "match"), [(dict(dtype="float64"), "dtype"), (dict(loss_scale="static"), "loss_scale"),
                                                (dict(loss_scale=-1.0), "positive")])
def test_amp_bad_arguments(kwargs, match):
    with pytest.raises(OptimConfigError, match=match):
        AmpOptimWrapper(optimizer=torch.optim.SGD(_model().parameters(), lr=0.1), **kwargs)


def test_optim_wrapper_dict():
    gen, disc = _model(0), _model(1)
    wrappers = OptimWrapperDict(
        gen=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1, momentum=0.5)),
        disc=OptimWrapper(torch.optim.Adam(disc.parameters(), lr=0.01)),
    )
    assert wrappers.get_lr() == {"gen.lr": [0.1], "disc.lr": [0.01]}
    assert wrappers.get_momentum() == {"gen.momentum": [0.5], "disc.momentum": [0.9]}
    assert sorted(wrappers.keys()) == ["disc", "gen"] and len(wrappers) == 2 and "gen" in wrappers
    wrappers["gen"].update_params(_loss(gen, _data(1)[0]))
    state = wrappers.state_dict()
    assert set(state) == {"gen", "disc"}
    wrappers.load_state_dict(state)
    wrappers.initialize_count_status(gen, 0, 10)
    with pytest.raises(NotImplementedError, match=r"wrappers\['gen'\]"):
        wrappers.update_params(torch.tensor(1.0))
    with pytest.raises(NotImplementedError):
        with wrappers.optim_context(gen):
            pass
    with pytest.raises(KeyError, match="missing"):
        wrappers.load_state_dict({"gen": state["gen"]})
    with pytest.raises(KeyError, match="has no wrapper 'x'"):
        wrappers["x"]
    with pytest.raises(OptimTypeError, match="'bad'"):
        OptimWrapperDict(bad=torch.optim.SGD(gen.parameters(), lr=0.1))


def test_amp_use_fsdp_builds_a_sharded_scaler():
    from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(_model().parameters(), lr=0.1), use_fsdp=True)
    assert isinstance(wrapper.loss_scaler, ShardedGradScaler)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_amp_on_cuda(dtype):
    model = _model().cuda()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype=dtype)
    for x, y in _data(3):
        with wrapper.optim_context(model):
            out = model(x.cuda())
            assert out.dtype == getattr(torch, dtype)
            loss = ((out.float() - y.cuda()) ** 2).mean()
        wrapper.update_params(loss)
    assert wrapper.state_dict()["loss_scaler"]["scale"] > 0
