from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from mme.model import (
    BaseDataPreprocessor,
    BaseModel,
    ImgDataPreprocessor,
    ModelTypeError,
    build_model_from_cfg,
)
from mme.optim import OptimWrapper
from mme.registry import MODELS
from torch import nn


class ToyModel(BaseModel):
    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.fc = nn.Linear(4, 3)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        out = self.fc(inputs)
        if mode == "loss":
            return {"loss_cls": F.cross_entropy(out, data_samples), "acc": (out.argmax(1) == data_samples).float()}
        if mode == "predict":
            return out.argmax(1).tolist()
        return out


def batch():
    torch.manual_seed(0)
    return {"inputs": torch.randn(8, 4), "data_samples": torch.randint(0, 3, (8,))}


def test_train_step_updates_and_logs():
    model = ToyModel()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.fc.weight.detach().clone()
    log_vars = model.train_step(batch(), wrapper)
    assert list(log_vars) == ["loss", "loss_cls", "acc"]
    assert not log_vars["loss"].requires_grad
    assert torch.equal(log_vars["loss"], log_vars["loss_cls"])
    assert not torch.equal(before, model.fc.weight)


def test_train_step_lowers_the_loss():
    model = ToyModel()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    data = batch()
    first = model.train_step(data, wrapper)["loss"].item()
    for _ in range(20):
        last = model.train_step(data, wrapper)["loss"].item()
    assert last < first


def test_val_and_test_step_predict():
    model = ToyModel()
    out = model.val_step(batch())
    assert isinstance(out, list) and len(out) == 8
    assert model.test_step(batch()) == out
    assert model(batch()["inputs"]).shape == (8, 3)  # mode='tensor'


def test_list_batches_are_passed_positionally():
    model = ToyModel()
    data = batch()
    assert model.val_step([data["inputs"], data["data_samples"]]) == model.val_step(data)
    with pytest.raises(ModelTypeError, match="dict, list or tuple"):
        model._run_forward(torch.zeros(1), mode="tensor")


def test_parse_losses():
    model = ToyModel()
    losses = {
        "loss_a": torch.tensor([1.0, 3.0]),
        "loss_b": [torch.tensor(1.0), torch.tensor([2.0, 4.0])],
        "accuracy": torch.tensor(0.5),
    }
    loss, log_vars = model.parse_losses(losses)
    assert loss.item() == pytest.approx(2.0 + 4.0)
    assert {k: v.item() for k, v in log_vars.items()} == {"loss": 6.0, "loss_a": 2.0, "loss_b": 4.0, "accuracy": 0.5}


def test_parse_losses_adds_no_graph_node_for_a_scalar_loss():
    model = ToyModel()
    weight = torch.tensor(2.0, requires_grad=True)
    scalar = weight * 3
    loss, log_vars = model.parse_losses({"loss": scalar})
    assert loss is scalar  # a 0-dim loss is its own mean: no MeanBackward node to run each iteration
    assert log_vars["loss"].item() == 6.0 and not log_vars["loss"].requires_grad
    vector_loss, _ = model.parse_losses({"loss": weight * torch.ones(3)})
    assert type(vector_loss.grad_fn).__name__.startswith("MeanBackward")


def test_parse_losses_bad_input():
    model = ToyModel()
    with pytest.raises(ModelTypeError, match="'loss_a' must be a tensor"):
        model.parse_losses({"loss_a": 1.0})
    with pytest.raises(ModelTypeError, match="no entry"):
        model.parse_losses({"acc": torch.tensor(1.0)})
    with pytest.raises(ModelTypeError, match="dict of losses"):
        model.parse_losses(torch.tensor(1.0))


def test_data_preprocessor_from_config_and_bad_type():
    model = ToyModel(data_preprocessor={"type": "ImgDataPreprocessor", "mean": [0.5], "std": [2.0]})
    assert isinstance(model.data_preprocessor, ImgDataPreprocessor)
    assert isinstance(ToyModel().data_preprocessor, BaseDataPreprocessor)
    with pytest.raises(ModelTypeError, match="data_preprocessor must be"):
        ToyModel(data_preprocessor="Img")


def test_base_forward_is_abstract():
    with pytest.raises(NotImplementedError, match="must implement forward"):
        BaseModel()(torch.zeros(1))


def test_models_registry_builds_lists_as_sequential():
    MODELS.register_module(name="ToyLinearForBuild", module=nn.Linear, force=True)
    seq = MODELS.build([{"type": "ToyLinearForBuild", "in_features": 2, "out_features": 3},
                        {"type": "ToyLinearForBuild", "in_features": 3, "out_features": 1}])
    assert isinstance(seq, nn.Sequential) and seq(torch.ones(1, 2)).shape == (1, 1)
    single = build_model_from_cfg({"type": "ToyLinearForBuild", "in_features": 2, "out_features": 2}, MODELS)
    assert isinstance(single, nn.Linear)


def test_device_follows_model():
    model = ToyModel()
    model.to("cpu", torch.float64)
    assert model.data_preprocessor.device == torch.device("cpu")
    model.to(torch.float32).cpu()
    assert model.data_preprocessor.device == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_batches_follow_the_model():
    model = ToyModel().cuda()
    assert model.data_preprocessor.device.type == "cuda"
    assert len(model.val_step(batch())) == 8
    model.cpu()
    assert model.data_preprocessor.device == torch.device("cpu")
