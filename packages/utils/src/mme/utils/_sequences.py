"""Sequence helpers: n-tuples, element casts, slicing and flattening lists, mapping over nested data."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, repeat
from typing import Any


def to_ntuple(n: int) -> Callable[[Any], Any]:
    """Return a function that repeats a scalar ``n`` times and passes any iterable through.

    Examples:
        >>> to_ntuple(3)(7)
        (7, 7, 7)
        >>> to_ntuple(3)([1, 2])
        [1, 2]
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"to_ntuple needs a non-negative int, but got {n!r}")

    def parse(x: Any) -> Any:
        if isinstance(x, Iterable):
            return x
        return tuple(repeat(x, n))

    parse.__name__ = f"to_{n}tuple"
    parse.__qualname__ = parse.__name__
    parse.__doc__ = f"Repeat a scalar {n} times as a tuple; return an iterable unchanged."
    return parse


to_1tuple = to_ntuple(1)
to_2tuple = to_ntuple(2)
to_3tuple = to_ntuple(3)
to_4tuple = to_ntuple(4)


def iter_cast(inputs: Iterable[Any], dst_type: type, return_type: type | None = None) -> Any:
    """Cast every element of ``inputs`` to ``dst_type``.

    Args:
        inputs: The elements.
        dst_type: Type (or one-argument callable class) to cast each element to.
        return_type: Container to collect the results in; None gives a lazy iterator.

    Examples:
        >>> list(iter_cast(["1", "2"], int))
        [1, 2]
        >>> iter_cast(["1", "2"], float, return_type=tuple)
        (1.0, 2.0)
    """
    if not isinstance(inputs, Iterable):
        raise TypeError(f"inputs must be an iterable, but got {type(inputs).__name__}")
    if not isinstance(dst_type, type):
        raise TypeError(f"dst_type must be a type, but got {dst_type!r}")
    out: Iterator[Any] = map(dst_type, inputs)
    return out if return_type is None else return_type(out)


def list_cast(inputs: Iterable[Any], dst_type: type) -> list[Any]:
    """Cast every element of ``inputs`` to ``dst_type`` and return a list."""
    return iter_cast(inputs, dst_type, return_type=list)


def tuple_cast(inputs: Iterable[Any], dst_type: type) -> tuple[Any, ...]:
    """Cast every element of ``inputs`` to ``dst_type`` and return a tuple."""
    return iter_cast(inputs, dst_type, return_type=tuple)


def slice_list(in_list: list[Any], lens: int | Sequence[int]) -> list[list[Any]]:
    """Cut ``in_list`` into consecutive pieces.

    Args:
        in_list: The list to cut.
        lens: The length of every piece (which must divide the list's length), or the lengths
            of the pieces in order (which must add up to the list's length).

    Examples:
        >>> slice_list([1, 2, 3, 4, 5, 6], 2)
        [[1, 2], [3, 4], [5, 6]]
        >>> slice_list([1, 2, 3, 4, 5, 6], [1, 2, 3])
        [[1], [2, 3], [4, 5, 6]]
    """
    if not isinstance(in_list, list):
        raise TypeError(f"in_list must be a list, but got {type(in_list).__name__}")
    if isinstance(lens, int) and not isinstance(lens, bool):
        if lens <= 0 or len(in_list) % lens:
            raise ValueError(f"a piece length of {lens} does not divide a list of length {len(in_list)}")
        lens = [lens] * (len(in_list) // lens)
    elif not isinstance(lens, list) or not all(isinstance(n, int) and n >= 0 for n in lens):
        raise TypeError(f'"lens" must be an int or a list of non-negative ints, but got {lens!r}')
    if sum(lens) != len(in_list):
        raise ValueError(f"the piece lengths add up to {sum(lens)}, but the list has length {len(in_list)}")
    out = []
    start = 0
    for n in lens:
        out.append(in_list[start : start + n])
        start += n
    return out


def concat_list(in_list: Iterable[Iterable[Any]]) -> list[Any]:
    """Concatenate a list of lists into one list.

    Examples:
        >>> concat_list([[1, 2], [3], []])
        [1, 2, 3]
    """
    return list(chain.from_iterable(in_list))


def apply_to(data: Any, expr: Callable[[Any], bool], apply: Callable[[Any], Any]) -> Any:
    """Replace every leaf ``x`` of nested dicts, lists and tuples for which ``expr(x)`` holds by ``apply(x)``.

    Containers are rebuilt with their own type (dict subclasses such as ``OrderedDict`` and
    ``defaultdict`` and namedtuples keep theirs); other leaves are returned as they are.

    Examples:
        >>> apply_to({"a": [1, "x", (2, 3.5)]}, lambda x: isinstance(x, int), lambda x: x * 10)
        {'a': [10, 'x', (20, 3.5)]}
    """
    if isinstance(data, dict):
        out = copy.copy(data)
        for key, value in data.items():
            out[key] = apply_to(value, expr, apply)
        return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple takes positional fields
        return type(data)(*(apply_to(item, expr, apply) for item in data))
    if isinstance(data, (tuple, list)):
        return type(data)(apply_to(item, expr, apply) for item in data)
    if expr(data):
        return apply(data)
    return data
