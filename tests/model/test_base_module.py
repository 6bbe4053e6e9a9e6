from __future__ import annotations

import torch
from mme.model import BaseModule, ModuleDict, ModuleList, Sequential
from torch import nn


class Child(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.fc = nn.Linear(2, 2)
        self.calls = 0

    def init_weights(self):
        self.calls += 1
        super().init_weights()


class Parent(BaseModule):
    def __init__(self, init_cfg=None, child_cfg=None):
        super().__init__(init_cfg)
        self.child = Child(child_cfg)
        self.head = nn.Linear(2, 1)


def test_init_cfg_then_children():
    p = Parent(
        init_cfg={"type": "Constant", "layer": "Linear", "val": 1},
        child_cfg={"type": "Constant", "layer": "Linear", "val": 2},
    )
    assert not p.is_init
    p.init_weights()
    assert p.is_init and p.child.is_init
    assert torch.all(p.head.weight == 1)
    assert torch.all(p.child.fc.weight == 2)  # the child's own init_cfg runs after the parent's


def test_pretrained_is_loaded_after_children(tmp_path):
    src = Parent()
    for param in src.parameters():
        nn.init.constant_(param, 9)
    path = tmp_path / "p.pth"
    torch.save(src.state_dict(), path)
    p = Parent(
        init_cfg=[{"type": "Pretrained", "checkpoint": str(path)}, {"type": "Constant", "layer": "Linear", "val": 1}],
        child_cfg={"type": "Constant", "layer": "Linear", "val": 2},
    )
    p.init_weights()
    assert torch.all(p.child.fc.weight == 9) and torch.all(p.head.weight == 9)


def test_second_call_only_warns(caplog):
    p = Parent()
    p.init_weights()
    with caplog.at_level("WARNING", logger="mme.model"):
        p.init_weights()
    assert "more than once" in caplog.text
    assert p.child.calls == 1


def test_containers_with_init_cfg():
    cfg = {"type": "Constant", "layer": "Linear", "val": 5}
    seq = Sequential(nn.Linear(1, 1), nn.Linear(1, 1), init_cfg=cfg)
    lst = ModuleList([nn.Linear(1, 1)], init_cfg=cfg)
    dct = ModuleDict({"a": nn.Linear(1, 1)}, init_cfg=cfg)
    for container in (seq, lst, dct):
        container.init_weights()
        assert all(torch.all(p == 5) for n, p in container.named_parameters() if n.endswith("weight"))
    assert len(seq) == 2 and seq(torch.ones(1, 1)).shape == (1, 1)
    assert isinstance(lst[0], nn.Linear) and isinstance(dct["a"], nn.Linear)
    assert "init_cfg" in repr(seq)


def test_init_cfg_is_copied():
    cfg = {"type": "Constant", "val": 1}
    m = BaseModule(init_cfg=cfg)
    cfg["val"] = 2
    assert m.init_cfg["val"] == 1
