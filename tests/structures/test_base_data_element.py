from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.structures import BaseDataElement, DataElementFieldError, DataElementTypeError


def make() -> BaseDataElement:
    return BaseDataElement(metainfo={"img_id": 3, "img_shape": (4, 5)}, bboxes=torch.rand(2, 4), scores=np.ones(2))


def test_metainfo_and_data_are_separate():
    e = make()
    assert e.metainfo_keys() == ["img_id", "img_shape"]
    assert e.keys() == ["bboxes", "scores"]
    assert e.all_keys() == ["img_id", "img_shape", "bboxes", "scores"]
    assert e.metainfo == {"img_id": 3, "img_shape": (4, 5)}
    assert dict(e.items())["scores"] is e.scores
    assert e.metainfo_values() == [3, (4, 5)]
    assert len(e.values()) == 2 and len(e.all_values()) == 4
    assert [k for k, _ in e.all_items()] == e.all_keys()
    assert "img_id" in e and "bboxes" in e and "nothing" not in e


def test_set_metainfo_copies_deeply():
    meta = {"classes": ["a", "b"]}
    e = BaseDataElement(metainfo=meta)
    meta["classes"].append("c")
    assert e.classes == ["a", "b"]


def test_field_kind_clash_is_rejected():
    e = make()
    with pytest.raises(DataElementFieldError, match="already a metainfo field"):
        e.img_id = 5
    with pytest.raises(DataElementFieldError, match="already a data field"):
        e.set_metainfo({"bboxes": 1})
    with pytest.raises(DataElementFieldError, match="private"):
        e._data_fields = set()
    with pytest.raises(DataElementFieldError, match="private"):
        del e._metainfo_fields


def test_bad_types_are_rejected():
    e = BaseDataElement()
    with pytest.raises(DataElementTypeError, match="metainfo must be a dict"):
        e.set_metainfo([1])
    with pytest.raises(DataElementTypeError, match="data must be a dict"):
        e.set_data("x")
    with pytest.raises(DataElementTypeError, match="must be <class 'int'>"):
        e.set_field("x", "n", dtype=int)
    with pytest.raises(DataElementTypeError, match="field_type"):
        e.set_field(1, "n", field_type="other")
    with pytest.raises(DataElementTypeError, match="BaseDataElement"):
        e.update({"a": 1})


def test_set_field_and_dict_like_access():
    e = BaseDataElement()
    e.set_field(torch.zeros(1), "t", dtype=torch.Tensor)
    e["u"] = 2
    assert e.get("u") == 2 and e.get("missing", 7) == 7
    assert e.pop("u") == 2 and "u" not in e
    assert e.pop("missing", None) is None
    with pytest.raises(KeyError, match="missing"):
        e.pop("missing")
    del e["t"]
    assert e.keys() == []


def test_update_new_clone():
    e = make()
    other = BaseDataElement(metainfo={"extra": 1}, labels=[1, 2])
    e.update(other)
    assert e.extra == 1 and e.labels == [1, 2]
    n = e.new(metainfo={"only": 1}, x=1)
    assert n.metainfo_keys() == ["only"] and n.keys() == ["x"]
    n2 = e.new()
    assert n2.keys() == e.keys() and n2.bboxes is e.bboxes
    c = e.clone()
    assert c is not e and c.all_keys() == e.all_keys()
    c.labels = [9]
    assert e.labels == [1, 2]


def test_conversions():
    e = make()
    e.nested = BaseDataElement(t=torch.ones(2))
    assert isinstance(e.numpy().bboxes, np.ndarray)
    assert isinstance(e.numpy().nested.t, np.ndarray)
    back = e.numpy().to_tensor()
    assert isinstance(back.bboxes, torch.Tensor) and isinstance(back.scores, torch.Tensor)
    assert torch.equal(back.nested.t, torch.ones(2))
    d = e.to(torch.float64)
    assert d.bboxes.dtype == torch.float64 and d.img_id == 3
    assert e.cpu().bboxes.device.type == "cpu"
    g = BaseDataElement(t=torch.ones(2, requires_grad=True) * 2)
    assert g.t.requires_grad and not g.detach().t.requires_grad
    as_dict = e.to_dict()
    assert as_dict["img_id"] == 3 and isinstance(as_dict["nested"], dict)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda():
    assert make().cuda().bboxes.is_cuda


def test_repr_names_sections():
    text = repr(make())
    assert "META INFORMATION" in text and "DATA FIELDS" in text and "img_id: 3" in text


def test_subclass_property_fields():
    class Sample(BaseDataElement):
        @property
        def gt(self):
            return self._gt

        @gt.setter
        def gt(self, value):
            self.set_field(value, "_gt", dtype=BaseDataElement)

        @gt.deleter
        def gt(self):
            del self._gt

    s = Sample()
    s.gt = BaseDataElement(x=1)
    assert s.keys() == ["gt"] and s.gt.x == 1
    with pytest.raises(DataElementTypeError):
        s.gt = 3
