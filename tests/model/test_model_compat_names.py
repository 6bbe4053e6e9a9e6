"""MMEngine names of mme.model: trunc_normal_, merge_dict, detect_anomalous_params, BaseTTAModel and
efficient ConvBN in eval mode."""

from __future__ import annotations

import logging

import pytest
import torch
import torch.fx
from mme.model import (
    BaseModel,
    BaseTTAModel,
    ImgDataPreprocessor,
    ModelTypeError,
    ModelValueError,
    detect_anomalous_params,
    efficient_conv_bn_eval_forward,
    merge_dict,
    trunc_normal_,
    turn_on_efficient_conv_bn_eval,
)
from mme.registry import MODELS
from torch import nn

# -- trunc_normal_ -------------------------------------------------------------------------------


def test_trunc_normal_fills_in_place_within_bounds():
    torch.manual_seed(0)
    t = torch.empty(200, 200)
    assert trunc_normal_(t, mean=1.0, std=0.5, a=0.5, b=1.2) is t
    assert t.min() >= 0.5 and t.max() <= 1.2
    assert t.min() < 0.51 and t.max() > 1.19  # the whole interval is used
    wide = trunc_normal_(torch.empty(100_000), std=0.02)  # bounds at +-100 std: a plain normal
    assert abs(wide.std().item() - 0.02) < 0.0005 and abs(wide.mean().item()) < 0.0005
    with pytest.raises(ModelValueError, match="a < b"):
        trunc_normal_(t, a=1, b=1)
    with pytest.raises(ModelValueError, match="std > 0"):
        trunc_normal_(t, std=0)


# -- merge_dict ----------------------------------------------------------------------------------


def test_merge_dict_later_keys_win_and_inputs_are_untouched():
    a, b = {"x": 1, "y": 2}, {"y": 3}
    merged = merge_dict(a, b, {"z": 4})
    assert merged == {"x": 1, "y": 3, "z": 4} and list(merged) == ["x", "y", "z"]
    assert a == {"x": 1, "y": 2} and merged is not a
    assert merge_dict() == {}
    with pytest.raises(ModelTypeError, match="takes dicts"):
        merge_dict({"a": 1}, [("b", 2)])


class _MergeHead(nn.Module):
    def forward(self, x):
        losses = merge_dict({"loss_a": x.sum()}, {"loss_b": x.mean(), "n": 2})
        return losses["loss_a"] + losses["loss_b"] * losses["n"]


def test_merge_dict_is_one_node_under_fx_tracing():
    traced = torch.fx.symbolic_trace(_MergeHead())
    calls = [n.target for n in traced.graph.nodes if n.op == "call_function"]
    assert merge_dict in calls  # recorded as a leaf call, not traced through
    x = torch.arange(4.0)
    assert torch.equal(traced(x), _MergeHead()(x))


# -- detect_anomalous_params ---------------------------------------------------------------------


class _Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 2)
        self.unused = nn.Linear(3, 2)
        self.frozen = nn.Linear(3, 2)
        self.frozen.requires_grad_(False)
        self.scale = nn.Parameter(torch.ones(1))
        self.lonely = nn.Parameter(torch.ones(2))

    def forward(self, x):
        return (self.used(x) * self.scale.expand(2)).sum() + self.frozen(x).sum()


def test_detect_anomalous_params_names_what_the_loss_does_not_reach(caplog):
    model = _Branchy()
    loss = model(torch.randn(4, 3))
    with caplog.at_level(logging.ERROR, logger="mme.model"):
        found = detect_anomalous_params(loss, model)
    assert found == ["lonely", "unused.weight", "unused.bias"]  # named_parameters order; frozen ones are fine
    assert "unused.weight with shape (2, 3) is not in the computational graph" in caplog.text
    assert "lonely with shape (2,)" in caplog.text and "frozen" not in caplog.text
    loss.backward()  # it only reads the graph
    assert model.used.weight.grad is not None and model.unused.weight.grad is None
    with pytest.raises(ModelTypeError, match="loss tensor"):
        detect_anomalous_params({"loss": loss}, model)


def test_detect_anomalous_params_with_every_param_used():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    assert detect_anomalous_params(model(torch.randn(2, 3)).sum(), model) == []


# -- BaseTTAModel --------------------------------------------------------------------------------


@MODELS.register_module(name="_TTAToy", force=True)
class _TTAToy(BaseModel):
    """Predicts ``inputs.sum() * k + offset`` per sample and records each test batch it sees."""

    def __init__(self, k=1.0, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.k = k
        self.offset = nn.Parameter(torch.zeros(()))
        self.seen = []

    def forward(self, inputs, data_samples=None, mode="tensor"):
        self.seen.append((inputs.clone(), list(data_samples or [])))
        scores = inputs.flatten(1).sum(1) * self.k + self.offset
        return [{"score": s.item(), "tag": t} for s, t in zip(scores, data_samples or [None] * len(scores))]


class _MeanTTA(BaseTTAModel):
    def merge_preds(self, data_samples_list):
        self.merged_input = data_samples_list
        return [sum(p["score"] for p in preds) / len(preds) for preds in data_samples_list]


def _tta_batch():
    aug1 = torch.tensor([[1.0, 1.0], [2.0, 2.0]])  # two images, first augmentation
    aug2 = torch.tensor([[3.0, 3.0], [4.0, 4.0]])  # the same two images, second augmentation
    return {"inputs": [aug1, aug2], "data_samples": [["a1", "b1"], ["a2", "b2"]]}


def test_tta_runs_the_model_per_augmentation_and_merges_per_sample():
    toy = _TTAToy()
    tta = _MeanTTA(toy)
    assert tta.module is toy
    preds = tta.test_step(_tta_batch())
    assert [s[1] for s in toy.seen] == [["a1", "b1"], ["a2", "b2"]]  # one test_step per augmentation
    assert torch.equal(toy.seen[1][0], torch.tensor([[3.0, 3.0], [4.0, 4.0]]))
    assert [[p["tag"] for p in per] for per in tta.merged_input] == [["a1", "a2"], ["b1", "b2"]]  # per sample
    assert preds == [(2.0 + 6.0) / 2, (4.0 + 8.0) / 2]


def test_tta_accepts_a_tuple_batch():
    tta = _MeanTTA(_TTAToy(k=2.0))
    batch = ([torch.ones(1, 2), torch.zeros(1, 2), torch.full((1, 2), 2.0)], [["s"], ["s"], ["s"]])
    assert tta.test_step(batch) == [(4.0 + 0.0 + 8.0) / 3]
    assert len(tta.merged_input[0]) == 3


def test_tta_rejects_malformed_batches():
    tta = _MeanTTA(_TTAToy())
    with pytest.raises(ModelValueError, match="same number of augmentations"):
        tta.test_step({"inputs": [torch.ones(1, 2), torch.ones(1, 2)], "data_samples": [["a"]]})
    with pytest.raises(ModelTypeError, match="dict, list or tuple"):
        tta.test_step(torch.ones(2, 2))


def test_tta_built_from_config_replaces_the_data_preprocessor():
    MODELS.register_module(name="_MeanTTA", module=_MeanTTA, force=True)
    tta = MODELS.build(dict(type="_MeanTTA", module=dict(type="_TTAToy", k=3.0),
                            data_preprocessor=dict(type="ImgDataPreprocessor", mean=[1.0], std=[2.0])))
    assert isinstance(tta.module, _TTAToy) and tta.module.k == 3.0
    assert isinstance(tta.module.data_preprocessor, ImgDataPreprocessor)
    batch = {"inputs": [torch.full((1, 1, 1, 2), 3.0)], "data_samples": [["x"]]}
    assert tta.test_step(batch) == [((3.0 - 1.0) / 2.0) * 2 * 3.0]  # normalised by the new preprocessor
    toy = _TTAToy()
    _MeanTTA(toy, data_preprocessor=ImgDataPreprocessor(mean=[0.0], std=[1.0]))
    assert isinstance(toy.data_preprocessor, ImgDataPreprocessor)


def test_tta_is_abstract_and_test_only():
    with pytest.raises(TypeError, match="abstract"):
        BaseTTAModel(_TTAToy())
    tta = _MeanTTA(_TTAToy())
    with pytest.raises(NotImplementedError, match="test_step"):
        tta.val_step(_tta_batch())
    with pytest.raises(NotImplementedError, match="test_step"):
        tta.train_step(_tta_batch(), None)
    with pytest.raises(NotImplementedError, match="test_step"):
        tta(torch.ones(1))
    with pytest.raises(ModelTypeError, match="module must be"):
        _MeanTTA("model")
    with pytest.raises(ModelTypeError, match="test_step method"):
        _MeanTTA(nn.Linear(1, 1))
    assert "module.offset" in tta.state_dict()


# -- efficient ConvBN in eval mode ---------------------------------------------------------------


def _randomise_bn(bn):
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        if bn.weight is not None:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-1, 1)
    return bn.eval()


CASES = [
    (nn.Conv1d(3, 4, 3), nn.BatchNorm1d(4), (2, 3, 9)),
    (nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(6), (2, 4, 8, 8)),
    (nn.Conv2d(3, 4, 1, bias=False), nn.BatchNorm2d(4, affine=False), (1, 3, 5, 5)),
    (nn.Conv3d(2, 3, 2, dilation=1), nn.BatchNorm3d(3), (1, 2, 4, 4, 4)),
    (nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), nn.BatchNorm2d(6), (2, 4, 5, 5)),
    (nn.ConvTranspose1d(3, 5, 2, bias=False), nn.BatchNorm1d(5), (2, 3, 7)),
]


CASE_IDS = [f"{type(conv).__name__}-{i}" for i, (conv, _, _) in enumerate(CASES)]


@pytest.mark.parametrize(("conv", "bn", "shape"), CASES, ids=CASE_IDS)
def test_efficient_forward_matches_conv_then_bn_with_gradients(conv, bn, shape):
    torch.manual_seed(0)
    bn = _randomise_bn(bn)
    x = torch.randn(shape, requires_grad=True)
    expected = bn(conv(x))
    got = efficient_conv_bn_eval_forward(bn, conv, x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    weights = [conv.weight] + ([bn.weight, bn.bias] if bn.affine else [])
    grads_ref = torch.autograd.grad((expected * expected.detach()).sum(), [x, *weights])
    grads = torch.autograd.grad((got * expected.detach()).sum(), [x, *weights])
    for g, r in zip(grads, grads_ref):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-5)


def test_efficient_forward_needs_running_stats():
    with pytest.raises(ModelTypeError, match="running statistics"):
        bn = nn.BatchNorm2d(2, track_running_stats=False)
        efficient_conv_bn_eval_forward(bn, nn.Conv2d(1, 2, 1), torch.ones(1, 1, 2, 2))


class _Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.conv3, self.bn3 = nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8)  # conv3's output is used twice

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        y = self.conv3(x)
        return self.bn3(y) + y


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = _Backbone()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        if x.sum() > 1e9:  # data-dependent control flow: the whole net cannot be traced
            return None
        return self.head(self.backbone(x).mean((2, 3)))


def _bn_calls(model):
    calls = []
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m.register_forward_hook(lambda mod, inp, out, name=name: calls.append(name))
    return calls


def test_turn_on_folds_conv_bn_pairs_in_eval_and_keeps_train_mode():
    torch.manual_seed(0)
    net = _Net()
    for bn in (net.backbone.bn1, net.backbone.bn2, net.backbone.bn3):
        _randomise_bn(bn)
    net.eval()
    x = torch.randn(2, 3, 6, 6)
    expected = net(x)
    keys = list(net.state_dict())
    assert turn_on_efficient_conv_bn_eval(net, ["backbone"]) == 2  # bn3's conv output has another user
    assert list(net.state_dict()) == keys
    calls = _bn_calls(net)
    torch.testing.assert_close(net(x), expected, rtol=1e-4, atol=1e-5)
    assert calls == ["backbone.bn3"]  # bn1 and bn2 are folded into their convolutions
    calls.clear()
    net.train()
    before = net.backbone.bn1.running_mean.clone()
    net(x)
    assert calls == ["backbone.bn1", "backbone.bn2", "backbone.bn3"]  # train mode: the plain pair
    assert not torch.equal(net.backbone.bn1.running_mean, before)


def test_turn_on_leaves_untraceable_modules_alone(caplog):
    net = _Net().eval()
    x = torch.randn(1, 3, 4, 4)
    expected = net(x)
    with caplog.at_level(logging.WARNING, logger="mme.model"):
        assert turn_on_efficient_conv_bn_eval(net, "") == 0
    assert "cannot trace the model" in caplog.text
    assert torch.equal(net(x), expected)
    with pytest.raises(ModelValueError, match="no submodule 'neck'"):
        turn_on_efficient_conv_bn_eval(net, ["neck"])
