"""mme.infer.BaseInferencer end to end: a config file, a checkpoint saved by torch.save, raw inputs."""

from __future__ import annotations

import textwrap

import pytest
import torch
from torch import nn

from mme.infer import BaseInferencer, InferencerMeta
from mme.model import BaseModel
from mme.registry import MODELS, TRANSFORMS
from mme.runner import CheckpointError, UnsafeCheckpointError


@MODELS.register_module(name="InferToyRegressor", force=True)
class InferToyRegressor(BaseModel):
    def __init__(self, pretrained=None):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        out = self.fc(torch.stack(inputs)).squeeze(-1)
        return [float(v) for v in out] if mode == "predict" else out


@TRANSFORMS.register_module(name="InferToyPack", force=True)
class InferToyPack:
    def __init__(self, scale=1.0):
        self.scale = scale

    def __call__(self, raw):
        return {"inputs": torch.as_tensor(raw, dtype=torch.float32) * self.scale}


class ToyInferencer(BaseInferencer):
    preprocess_kwargs = {"unused_pre"}
    forward_kwargs: set = set()
    visualize_kwargs = {"show"}
    postprocess_kwargs = {"round_to"}

    def visualize(self, inputs, preds, show=False, **kwargs):
        return [f"{x}->{p}" for x, p in zip(inputs, preds)] if show else None

    def postprocess(self, preds, visualization, return_datasample=False, round_to=None, **kwargs):
        if round_to is not None:
            preds = [round(p, round_to) for p in preds]
        return dict(predictions=preds, visualization=visualization)


CONFIG = textwrap.dedent("""
    model = dict(type='InferToyRegressor', pretrained='should-not-be-loaded.pth')
    test_dataloader = dict(batch_size=1, dataset=dict(type='Whatever', pipeline=[dict(type='InferToyPack', scale=2.0)]))
""")


@pytest.fixture
def files(tmp_path):
    cfg = tmp_path / "toy_config.py"
    cfg.write_text(CONFIG)
    model = InferToyRegressor()
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[1.0, 2.0]]))
        model.fc.bias.fill_(0.5)
    ckpt = tmp_path / "toy.pth"
    torch.save({"state_dict": model.state_dict(), "meta": {"dataset_meta": {"classes": ["y"]}, "cfg": CONFIG}}, ckpt)
    return cfg, ckpt


def test_runs_a_config_and_checkpoint_end_to_end(files):
    cfg, ckpt = files
    inferencer = ToyInferencer(str(cfg), weights=str(ckpt), device="cpu", show_progress=False)
    assert not inferencer.model.training
    assert inferencer.model.dataset_meta == {"classes": ["y"]}
    assert "pretrained" not in inferencer.cfg.model
    # the pipeline scales by 2: [1, 1] -> [2, 2] -> 1*2 + 2*2 + 0.5
    result = inferencer([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], batch_size=2, round_to=3, show=True)
    assert result["predictions"] == [6.5, 4.5, 2.5]
    assert result["visualization"] == ["[1.0, 1.0]->6.5", "[0.0, 1.0]->4.5", "[1.0, 0.0]->2.5"]
    assert inferencer(torch.tensor([0.25, 0.25]))["predictions"] == [2.0]  # one input, not in a list
    assert inferencer([[1.0, 1.0]], show=False)["visualization"] is None


def test_batches_are_chunks_collated_by_pseudo_collate(files):
    cfg, ckpt = files
    inferencer = ToyInferencer(str(cfg), weights=str(ckpt), device="cpu", show_progress=False)
    batches = list(inferencer.preprocess([[1, 1], [2, 2], [3, 3]], batch_size=2))
    assert [len(b["inputs"]) for b in batches] == [2, 1]
    assert torch.equal(batches[1]["inputs"][0], torch.tensor([6.0, 6.0]))
    with torch.enable_grad():
        out = inferencer.forward(batches[0])
    assert out == [6.5, 12.5]


def test_the_config_can_come_from_the_checkpoint_or_a_dict(files):
    cfg, ckpt = files
    from_ckpt = ToyInferencer(None, weights=str(ckpt), device="cpu", show_progress=False)
    assert from_ckpt([[1.0, 1.0]])["predictions"] == [6.5]
    from_dict = ToyInferencer(dict(model=dict(type="InferToyRegressor")), weights=str(ckpt), device="cpu",
                              show_progress=False)
    # no pipeline: the inputs are the samples
    assert from_dict([{"inputs": torch.tensor([1.0, 1.0])}])["predictions"] == [3.5]


def test_call_arguments_go_to_their_step_only(files):
    cfg, ckpt = files
    inferencer = ToyInferencer(str(cfg), weights=str(ckpt), device="cpu", show_progress=False)
    assert inferencer._dispatch_kwargs(unused_pre=1, show=True, round_to=2) == (
        {"unused_pre": 1}, {}, {"show": True}, {"round_to": 2})
    with pytest.raises(ValueError, match=r"unknown argument \['colour'\]"):
        inferencer([[1.0, 1.0]], colour="red")


def test_missing_or_wrong_model_arguments(files):
    cfg, _ = files
    with pytest.warns(UserWarning, match="randomly initialized"):
        ToyInferencer(str(cfg), device="cpu", show_progress=False)
    with pytest.raises(ValueError, match="model and weights are both None"):
        ToyInferencer(None)
    with pytest.raises(TypeError, match="got int"):
        ToyInferencer(3)
    with pytest.raises(ValueError, match="not a config file"):
        ToyInferencer(str(cfg.parent / "missing.py"), weights="x.pth")

    not_a_dict = cfg.parent / "list.pth"
    torch.save([1, 2], not_a_dict)
    with pytest.raises(CheckpointError, match=r"list\.pth holds a list, expected a dict"):
        ToyInferencer(str(cfg), weights=str(not_a_dict), device="cpu", show_progress=False)
    unsafe = cfg.parent / "unsafe.pth"
    torch.save({"state_dict": {}, "meta": {"obj": InferToyPack()}}, unsafe)
    with pytest.raises(UnsafeCheckpointError):  # weights_only, as every mme loader
        ToyInferencer(str(cfg), weights=str(unsafe), device="cpu", show_progress=False)


def test_inferencer_meta_refuses_an_argument_in_two_steps():
    assert isinstance(ToyInferencer, InferencerMeta)
    with pytest.raises(TypeError, match="'show' is in preprocess_kwargs and visualize_kwargs"):

        class Clash(BaseInferencer):
            preprocess_kwargs = {"show"}
            visualize_kwargs = {"show"}
