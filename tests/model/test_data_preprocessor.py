from __future__ import annotations

from collections import namedtuple

import pytest
import torch
from mme.model import (
    BaseDataPreprocessor,
    ImgDataPreprocessor,
    ModelTypeError,
    ModelValueError,
)
from mme.structures import InstanceData


def test_cast_data_keeps_structure():
    pre = BaseDataPreprocessor()
    Pair = namedtuple("Pair", "a b")
    data = {"x": [torch.ones(1), (torch.zeros(1), "s")], "p": Pair(torch.ones(1), None), "e": InstanceData(t=torch.ones(2))}
    out = pre(data)
    assert isinstance(out["x"], list) and isinstance(out["x"][1], tuple) and out["x"][1][1] == "s"
    assert isinstance(out["p"], Pair) and out["p"].b is None
    assert isinstance(out["e"], InstanceData)
    assert pre.device == torch.device("cpu")


def test_normalize_flip_pad_stack():
    pre = ImgDataPreprocessor(mean=[1, 2, 3], std=[2, 2, 2], bgr_to_rgb=True, pad_size_divisor=4, pad_value=-1)
    a = torch.stack([torch.full((2, 3), 10.0), torch.full((2, 3), 20.0), torch.full((2, 3), 30.0)])
    b = torch.zeros(3, 5, 2, dtype=torch.uint8)
    out = pre({"inputs": [a, b], "data_samples": ["x", "y"]}, training=True)
    inputs = out["inputs"]
    assert inputs.shape == (2, 3, 8, 4) and inputs.dtype == torch.float32
    # channel flip first (30, 20, 10), then (x - mean) / std
    assert inputs[0, :, 0, 0].tolist() == [(30 - 1) / 2, (20 - 2) / 2, (10 - 3) / 2]
    assert inputs[0, 0, 7, 3].item() == -1  # padding
    assert out["data_samples"] == ["x", "y"]


def test_stacked_batch_is_padded():
    pre = ImgDataPreprocessor(mean=[0.0], std=[1.0], pad_size_divisor=8, rgb_to_bgr=True)
    out = pre({"inputs": torch.ones(2, 1, 5, 9)})
    assert out["inputs"].shape == (2, 1, 8, 16)
    assert out["data_samples"] is None


def test_no_normalization():
    out = ImgDataPreprocessor()({"inputs": [torch.full((1, 2, 2), 3, dtype=torch.uint8)]})
    assert out["inputs"].tolist() == [[[[3.0, 3.0], [3.0, 3.0]]]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bgr_to_rgb": True, "rgb_to_bgr": True}, "both be True"),
        ({"mean": [1, 2, 3]}, "together"),
        ({"mean": [1, 2], "std": [1, 2]}, "1 or 3 values"),
        ({"pad_size_divisor": 0}, "pad_size_divisor"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ModelValueError, match=message):
        ImgDataPreprocessor(**kwargs)


def test_bad_batches():
    pre = ImgDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1])
    with pytest.raises(ModelValueError, match="3 values, but the input has 1 channels"):
        pre({"inputs": [torch.zeros(1, 2, 2)]})
    with pytest.raises(ModelValueError, match=r"\(N, C, H, W\)"):
        pre({"inputs": torch.zeros(3, 2, 2)})
    with pytest.raises(ModelValueError, match=r"\(C, H, W\)"):
        pre({"inputs": [torch.zeros(2, 2)]})
    with pytest.raises(ModelTypeError, match="data\\['inputs'\\]"):
        pre({"inputs": "image"})
    with pytest.raises(ModelTypeError, match="'inputs' key"):
        pre([torch.zeros(3, 2, 2)])


def _batch():
    return {"inputs": [torch.ones(3, 2, 2)], "data_samples": [InstanceData(boxes=torch.zeros(1, 4))],
            "meta": ("name", torch.arange(3))}


def _devices(data) -> set[str]:
    return {str(data["inputs"][0].device), str(data["data_samples"][0].boxes.device), str(data["meta"][1].device)}


@pytest.mark.parametrize("move", [
    lambda m: m.to("meta"),
    lambda m: m.to(device=torch.device("meta")),
    lambda m: m.to(torch.empty(0, device="meta")),
    lambda m: m.to("meta", torch.float64),
])
def test_to_moves_where_batches_go(move):
    pre = BaseDataPreprocessor()
    assert move(pre) is pre
    assert pre.device == torch.device("meta")
    assert _devices(pre.cast_data(_batch())) == {"meta"}
    pre.cpu()
    assert pre.device == torch.device("cpu")
    assert _devices(pre(_batch())) == {"cpu"}


def test_a_dtype_only_move_keeps_the_device():
    pre = ImgDataPreprocessor(mean=[0.0], std=[1.0]).to("meta")
    pre.to(torch.float64)
    assert pre.device == torch.device("meta")
    assert pre.mean.device.type == "meta" and pre.mean.dtype == torch.float64


def test_the_model_moves_its_preprocessor():
    from mme.model import BaseModel

    class Model(BaseModel):
        def forward(self, inputs, data_samples=None, mode="tensor"):
            return inputs

    model = Model(data_preprocessor=dict(type="ImgDataPreprocessor", mean=[1.0], std=[2.0]))
    model.to("meta")
    assert model.data_preprocessor.device == torch.device("meta")
    out = model.data_preprocessor({"inputs": [torch.ones(1, 2, 2)]})
    assert out["inputs"].device.type == "meta" and out["inputs"].shape == (1, 1, 2, 2)
    plain = Model().to("meta")  # a BaseDataPreprocessor, which holds no tensors: it can come back
    assert plain.data_preprocessor.device == torch.device("meta")
    assert plain.cpu().data_preprocessor.device == torch.device("cpu")


def test_cuda_sets_the_target_device(monkeypatch):
    # No GPU here: stand in for the parts that need one and check where batches would go.
    monkeypatch.setattr(torch.nn.Module, "cuda", lambda self, device=None: self)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 3)
    pre = BaseDataPreprocessor()
    assert pre.cuda().device == torch.device("cuda", 3)
    assert pre.cuda(1).device == torch.device("cuda", 1)
    assert pre.cuda(torch.device("cuda", 2)).device == torch.device("cuda", 2)
    assert pre.cpu().device == torch.device("cpu")


@pytest.mark.parametrize("non_blocking", [False, True])
def test_cast_data_copies_to_the_device_as_configured(monkeypatch, non_blocking):
    calls = []
    real_to = torch.Tensor.to

    def spy(self, *args, **kwargs):
        calls.append((args, kwargs))
        return real_to(self, *args, **kwargs)

    pre = BaseDataPreprocessor(non_blocking=non_blocking).to("meta")
    monkeypatch.setattr(torch.Tensor, "to", spy)
    out = pre.cast_data({"x": torch.ones(2), "y": [torch.zeros(1)]})
    assert out["x"].device.type == out["y"][0].device.type == "meta"
    assert calls == [((torch.device("meta"),), {"non_blocking": non_blocking})] * 2
    calls.clear()
    on_device = torch.ones(1, device="meta")
    assert pre.cast_data(on_device) is on_device  # already there: not copied
    assert calls == []
