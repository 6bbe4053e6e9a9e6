"""to_ntuple, the element casts, slice_list, concat_list and apply_to."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, namedtuple

import pytest

from mme.utils import (
    apply_to,
    concat_list,
    iter_cast,
    list_cast,
    slice_list,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
    tuple_cast,
)


def test_to_ntuple_repeats_scalars_and_passes_iterables_through():
    assert to_1tuple(3) == (3,)
    assert to_2tuple(3) == (3, 3)
    assert to_3tuple(0.5) == (0.5, 0.5, 0.5)
    assert to_4tuple(None) == (None, None, None, None)
    assert to_ntuple(5)(1) == (1,) * 5
    seq = [1, 2]
    assert to_2tuple(seq) is seq  # an iterable is returned as it is, even of another length
    assert to_2tuple("ab") == "ab"
    assert to_2tuple.__name__ == "to_2tuple"
    with pytest.raises(ValueError, match="non-negative int"):
        to_ntuple(-1)


def test_casts():
    it = iter_cast(["1", "2", "3"], int)
    assert not isinstance(it, (list, tuple)) and list(it) == [1, 2, 3]  # lazy without return_type
    assert iter_cast(("1.5",), float, return_type=list) == [1.5]
    assert list_cast(["1", "2"], int) == [1, 2]
    assert tuple_cast([1, 2], str) == ("1", "2")
    with pytest.raises(TypeError, match="iterable"):
        iter_cast(1, int)
    with pytest.raises(TypeError, match="must be a type"):
        iter_cast([1], "int")
    with pytest.raises(ValueError):
        list_cast(["x"], int)


def test_slice_list():
    assert slice_list([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
    assert slice_list([1, 2, 3, 4], [1, 3]) == [[1], [2, 3, 4]]
    assert slice_list([1, 2, 3], [0, 3, 0]) == [[], [1, 2, 3], []]
    assert slice_list([], 3) == []
    with pytest.raises(ValueError, match="does not divide"):
        slice_list([1, 2, 3], 2)
    with pytest.raises(ValueError, match="add up to 2"):
        slice_list([1, 2, 3], [1, 1])
    with pytest.raises(TypeError, match="must be a list"):
        slice_list((1, 2), 1)
    with pytest.raises(TypeError, match='"lens"'):
        slice_list([1, 2], "1")


def test_concat_list():
    assert concat_list([[1, 2], [3, 4], []]) == [1, 2, 3, 4]
    assert concat_list([("a",), ["b"]]) == ["a", "b"]
    assert concat_list([]) == []


def test_apply_to_maps_matching_leaves_and_keeps_container_types():
    Point = namedtuple("Point", "x y")
    factory_dict = defaultdict(list, {"k": 1})
    data = {
        "a": [1, "s", (2, 3.0)],
        "b": OrderedDict(c=4),
        "p": Point(5, "y"),
        "d": factory_dict,
    }
    out = apply_to(data, lambda x: isinstance(x, int), lambda x: x + 100)
    assert out == {"a": [101, "s", (102, 3.0)], "b": OrderedDict(c=104), "p": Point(105, "y"), "d": {"k": 101}}
    assert type(out["b"]) is OrderedDict and type(out["p"]) is Point and type(out["a"][2]) is tuple
    assert type(out["d"]) is defaultdict and out["d"].default_factory is list
    assert data["a"][0] == 1 and factory_dict["k"] == 1  # the input is left alone
    assert apply_to(7, lambda x: False, lambda x: 0) == 7
