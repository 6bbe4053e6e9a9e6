"""MMDeepSpeedEngineWrapper and CollosalAIModelWrapper without their engines: what they do before
and after a strategy attaches the training object, and the DeepSpeed wrapper's inputs_to_half.
The engines themselves run in tests/strategy (test_deepspeed.py, test_colossalai.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mme.model import CollosalAIModelWrapper, MMDeepSpeedEngineWrapper, ModelTypeError
from mme.optim import OptimWrapper
from mme.testing import ToyModel


class Recording(ToyModel):
    """ToyModel that records the dtypes its forward receives."""

    def __init__(self) -> None:
        super().__init__(dropout=0.0)
        self.seen: list[tuple] = []

    def forward(self, inputs, data_samples=None, mode="tensor"):
        self.seen.append((mode, [t.dtype for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.dtype))
        return super().forward(inputs, data_samples, mode)


class Engine(nn.Module):
    """What the wrappers need of a DeepSpeed engine or a boosted ColossalAI model: it holds the model."""

    def __init__(self, module: nn.Module, bf16: bool = False) -> None:
        super().__init__()
        self.module = module
        self.bf16 = bf16
        self.calls = 0

    def forward(self, *args, **kwargs):
        self.calls += 1
        return self.module(*args, **kwargs)

    def unwrap(self) -> nn.Module:  # ColossalAI's ModelWrapper
        return self.module

    def bfloat16_enabled(self) -> bool:  # DeepSpeedEngine
        return self.bf16


BATCH = {"inputs": [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])], "data_samples": [0, 1]}


@pytest.mark.parametrize("cls, attach, name, by", [
    (MMDeepSpeedEngineWrapper, "attach_engine", "the DeepSpeed engine", "DeepSpeedStrategy"),
    (CollosalAIModelWrapper, "attach", "the boosted ColossalAI model", "ColossalAIStrategy"),
])
def test_steps_run_through_the_attached_object_once_there_is_one(cls, attach, name, by):
    model = Recording()
    wrapper = cls(model)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ModelTypeError, match=rf"{cls.__name__}\.train_step needs {name}, which {by}\.build_optim"):
        wrapper.train_step(BATCH, optim)
    assert [p["pred"] in (0, 1) for p in wrapper.val_step(BATCH)] == [True, True]  # the model itself
    with pytest.raises(ModelTypeError, match=f"{name} must wrap the same model as {cls.__name__}.module"):
        getattr(wrapper, attach)(Engine(Recording()))
    engine = Engine(model)
    wrapper.eval()
    getattr(wrapper, attach)(engine)
    assert not engine.training  # attached in the wrapper's mode
    wrapper.train()
    assert engine.training and model.training
    before = model.net[-1].bias.detach().clone()  # its gradient is never zero (dead ReLUs stop the others')
    log_vars = wrapper.train_step(BATCH, optim)
    assert set(log_vars) == {"loss"} and engine.calls == 1
    assert not torch.equal(model.net[-1].bias, before)  # the optimizer stepped
    wrapper.test_step(BATCH)
    assert engine.calls == 2 and [mode for mode, _ in model.seen] == ["predict", "loss", "predict"]
    wrapper.train(False)
    assert not engine.training and not model.training
    if cls is CollosalAIModelWrapper:  # built from a boosted model (DeepSpeed's is tested with a real engine)
        assert cls(engine).module is model and cls(engine).model_wrapper is engine


@pytest.mark.parametrize("bf16, dtype", [(False, torch.float16), (True, torch.bfloat16)])
def test_inputs_to_half_casts_the_named_floating_inputs_to_the_engines_half_type(bf16, dtype):
    model = Recording()
    wrapper = MMDeepSpeedEngineWrapper(model, inputs_to_half=["inputs"])
    wrapper.attach_engine(Engine(model, bf16=bf16))
    wrapper.val_step(BATCH)
    assert model.seen[-1] == ("predict", [dtype, dtype])
    untouched = MMDeepSpeedEngineWrapper(Recording())
    untouched.val_step(BATCH)
    assert untouched.module.seen[-1] == ("predict", [torch.float32, torch.float32])


def test_inputs_to_half_by_position_leaves_the_rest_and_integer_tensors():
    wrapper = MMDeepSpeedEngineWrapper(Recording(), inputs_to_half=[-2])
    data = (torch.ones(2), [torch.ones(1), torch.arange(3)], torch.ones(2))
    out = wrapper._prepare(data)
    assert type(out) is tuple
    assert out[0].dtype == torch.float32 and out[2].dtype == torch.float32
    assert [t.dtype for t in out[1]] == [torch.float16, torch.int64]


@pytest.mark.parametrize("inputs_to_half, data, message", [
    (["img"], {"inputs": torch.ones(1)},
     r"inputs_to_half names \['img'\], which the batch \(keys \['inputs'\]\) lacks"),
    ([2], (torch.ones(1), torch.ones(1)), r"inputs_to_half \[2\] are not positions of the 2 batch inputs"),
    (["a"], (torch.ones(1),), r"inputs_to_half \['a'\] are not positions of the 1 batch inputs"),
])
def test_inputs_to_half_that_the_batch_lacks_is_an_error(inputs_to_half, data, message):
    with pytest.raises(ModelTypeError, match=message):
        MMDeepSpeedEngineWrapper(Recording(), inputs_to_half=inputs_to_half)._prepare(data)


@pytest.mark.parametrize("bad", ["inputs", 0, [1.5]])
def test_inputs_to_half_must_be_a_list_of_names_or_positions(bad):
    with pytest.raises(ModelTypeError, match="inputs_to_half must be a list of input names or positions"):
        MMDeepSpeedEngineWrapper(Recording(), inputs_to_half=bad)


def test_a_batch_that_is_not_a_dict_list_or_tuple_is_an_error():
    class ToTensor(nn.Module):
        def forward(self, data, training=False):
            return torch.ones(1)

    wrapper = CollosalAIModelWrapper(Recording())
    wrapper.module.data_preprocessor = ToTensor()
    with pytest.raises(ModelTypeError, match="the preprocessed batch must be a dict, list or tuple, but got Tensor"):
        wrapper.val_step(BATCH)
