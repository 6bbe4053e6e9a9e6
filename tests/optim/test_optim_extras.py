"""BaseOptimWrapper, ApexOptimWrapper (through a fake apex) and the optimizer-registration functions."""

from __future__ import annotations

import contextlib
import sys
import types

import pytest
import torch
from torch import nn

from mme.optim import AmpOptimWrapper, ApexOptimWrapper, BaseOptimWrapper, OptimWrapper, OptimWrapperDict
from mme.optim import _apex, _builder
from mme.registry import OPTIM_WRAPPERS, OPTIMIZERS


def test_base_optim_wrapper_is_abstract_and_gives_the_introspection():
    with pytest.raises(TypeError, match="abstract"):
        BaseOptimWrapper(None)
    assert BaseOptimWrapper.__abstractmethods__ == {"update_params", "backward", "zero_grad", "step"}

    class Minimal(BaseOptimWrapper):
        def update_params(self, loss):
            self.backward(loss)
            self.step()
            self.zero_grad()

        def backward(self, loss, **kwargs):
            loss.backward(**kwargs)

        def zero_grad(self, **kwargs):
            self.optimizer.zero_grad(**kwargs)

        def step(self, **kwargs):
            self.optimizer.step(**kwargs)

    model = nn.Linear(2, 1)
    wrapper = Minimal(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert wrapper.get_lr() == {"lr": [0.1]} and wrapper.get_momentum() == {"momentum": [0.9]}
    assert wrapper.defaults["lr"] == 0.1 and len(wrapper.param_groups) == 1
    adam = Minimal(torch.optim.Adam(model.parameters(), lr=0.01))
    assert adam.get_momentum() == {"momentum": [0.9]}
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    state = wrapper.state_dict()
    wrapper.load_state_dict(state)
    assert set(state) == {"state", "param_groups"}
    for cls in (OptimWrapper, AmpOptimWrapper, OptimWrapperDict, ApexOptimWrapper):
        assert issubclass(cls, BaseOptimWrapper)


def test_apex_optim_wrapper_without_apex(monkeypatch):
    monkeypatch.setattr(_apex, "apex_amp", None)
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(ImportError, match="ApexOptimWrapper needs NVIDIA apex.*AmpOptimWrapper"):
        ApexOptimWrapper(optimizer=optimizer)
    assert OPTIM_WRAPPERS.get("ApexOptimWrapper") is ApexOptimWrapper


def test_apex_optim_wrapper_with_a_fake_apex(monkeypatch):
    calls = []

    class FakeAmp(types.ModuleType):
        def initialize(self, model, optimizer, **kwargs):
            calls.append(("initialize", type(model).__name__, kwargs))
            optimizer._amp_stash = object()
            return model, optimizer

        @contextlib.contextmanager
        def scale_loss(self, loss, optimizer):
            calls.append("scale_loss")
            yield loss * 2

        def state_dict(self):
            return {"loss_scaler0": 1.0}

        def load_state_dict(self, state):
            calls.append(("load", state))

    monkeypatch.setattr(_apex, "apex_amp", FakeAmp("apex.amp"))
    model = nn.Linear(2, 1)
    wrapper = ApexOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), opt_level="O2")
    assert wrapper.opt_level == "O2"
    wrapper.load_state_dict({**wrapper.optimizer.state_dict(), "apex_amp": {"loss_scaler0": 4.0}})
    assert "apex_amp" not in wrapper.state_dict()  # amp not initialized yet
    with wrapper.optim_context(model):
        loss = model(torch.ones(1, 2)).sum()
    wrapper.update_params(loss)
    assert calls[0] == ("initialize", "Linear", {"opt_level": "O2", "loss_scale": "dynamic", "enabled": True,
                                                 "num_losses": 1, "verbosity": 1, "max_loss_scale": 2.0 ** 24})
    assert calls[1] == ("load", {"loss_scaler0": 4.0}) and calls[2] == "scale_loss"
    assert wrapper.state_dict()["apex_amp"] == {"loss_scaler0": 1.0}
    assert model.weight.grad is None or not model.weight.grad.any()  # stepped and zeroed


def test_registration_functions():
    assert "SGD" in _builder.TORCH_OPTIMIZERS and "TorchAdafactor" in _builder.TORCH_OPTIMIZERS
    assert "Optimizer" not in _builder.TORCH_OPTIMIZERS
    assert _builder.register_torch_optimizers() == _builder.TORCH_OPTIMIZERS  # twice is safe
    assert all(OPTIMIZERS.get(name) is not None for name in _builder.TORCH_OPTIMIZERS)
    for name in ("register_dadaptation_optimizers", "register_lion_optimizers", "register_sophia_optimizers",
                 "register_bitsandbytes_optimizers", "register_transformers_optimizers",
                 "register_torch_npu_optimizers"):
        assert getattr(_builder, name)() == []  # none of these packages is installed here


def test_an_installed_optional_package_is_registered(monkeypatch):
    lion = types.ModuleType("lion_pytorch")

    class Lion(torch.optim.SGD):
        pass

    lion.Lion = Lion
    lion.__spec__ = types.SimpleNamespace(name="lion_pytorch")
    monkeypatch.setitem(sys.modules, "lion_pytorch", lion)
    monkeypatch.setattr(_builder.importlib.util, "find_spec", lambda name: object())
    try:
        assert _builder.register_lion_optimizers() == ["Lion"]
        assert OPTIMIZERS.get("Lion") is Lion
    finally:
        OPTIMIZERS.module_dict.pop("Lion", None)
