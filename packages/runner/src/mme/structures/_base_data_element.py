"""BaseDataElement: the common container of annotations and predictions."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from ._errors import DataElementFieldError, DataElementTypeError

_PRIVATE = ("_metainfo_fields", "_data_fields")


class BaseDataElement:
    """A container with two kinds of fields: metainfo (about the sample) and data.

    Metainfo fields describe the sample (image size, file name, ...) and are not converted by
    :meth:`to`, :meth:`numpy` and friends; data fields hold annotations or predictions
    (tensors, arrays, lists, other data elements) and are converted. Fields are set as
    attributes (``element.bboxes = t``), through :meth:`set_data` / :meth:`set_metainfo`, or
    as keyword arguments of the constructor.

    Args:
        metainfo: Metainfo fields to set.
        **kwargs: Data fields to set.

    Examples:
        >>> e = BaseDataElement(metainfo=dict(img_shape=(4, 4)), score=1.0)
        >>> e.metainfo_keys(), e.keys()
        (['img_shape'], ['score'])
    """

    def __init__(self, *, metainfo: dict | None = None, **kwargs: Any) -> None:
        self._metainfo_fields: set[str] = set()
        self._data_fields: set[str] = set()
        if metainfo is not None:
            self.set_metainfo(metainfo)
        if kwargs:
            self.set_data(kwargs)

    # ------------------------------------------------------------------ setting fields
    def set_metainfo(self, metainfo: dict) -> None:
        """Set (a deep copy of) the given metainfo fields."""
        if not isinstance(metainfo, dict):
            raise DataElementTypeError(f"metainfo must be a dict, but got {type(metainfo).__name__}")
        for key, value in copy.deepcopy(metainfo).items():
            self.set_field(value=value, name=key, field_type="metainfo")

    def set_data(self, data: dict) -> None:
        """Set the given data fields (as attributes, so subclass checks apply)."""
        if not isinstance(data, dict):
            raise DataElementTypeError(f"data must be a dict, but got {type(data).__name__}")
        for key, value in data.items():
            setattr(self, key, value)

    def update(self, instance: BaseDataElement) -> None:
        """Copy every metainfo and data field of ``instance`` into this element."""
        if not isinstance(instance, BaseDataElement):
            raise DataElementTypeError(
                f"update() takes a BaseDataElement, but got {type(instance).__name__}"
            )
        self.set_metainfo(dict(instance.metainfo_items()))
        self.set_data(dict(instance.items()))

    def set_field(
        self, value: Any, name: str, dtype: type | tuple[type, ...] | None = None, field_type: str = "data"
    ) -> None:
        """Set one field, checking its type and that it is not already a field of the other kind.

        Args:
            value: The value.
            name: The field name.
            dtype: If given, ``value`` must be an instance of it.
            field_type: ``'data'`` or ``'metainfo'``.
        """
        if field_type not in ("data", "metainfo"):
            raise DataElementTypeError(f"field_type must be 'data' or 'metainfo', but got {field_type!r}")
        if dtype is not None and not isinstance(value, dtype):
            raise DataElementTypeError(f"{name} must be {dtype}, but got {type(value).__name__}")
        if name in _PRIVATE:
            raise DataElementFieldError(f"{name} is a private attribute of data elements and cannot be set")
        if field_type == "metainfo":
            if name in self._data_fields:
                raise DataElementFieldError(
                    f"cannot set {name!r} as a metainfo field: it is already a data field"
                )
            self._metainfo_fields.add(name)
        else:
            if name in self._metainfo_fields:
                raise DataElementFieldError(
                    f"cannot set {name!r} as a data field: it is already a metainfo field"
                )
            self._data_fields.add(name)
        object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if hasattr(self, name):
                raise DataElementFieldError(f"{name} is a private attribute and cannot be reassigned")
            object.__setattr__(self, name, value)
        else:
            self.set_field(value=value, name=name, field_type="data")

    def __setitem__(self, name: str, value: Any) -> None:
        if not isinstance(name, str):
            raise DataElementTypeError(f"field names are strings, but got {type(name).__name__}")
        setattr(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in _PRIVATE:
            raise DataElementFieldError(f"{name} is a private attribute and cannot be deleted")
        object.__delattr__(self, name)
        self._metainfo_fields.discard(name)
        self._data_fields.discard(name)

    __delitem__ = __delattr__

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key``, or ``default`` when it is not set."""
        return getattr(self, key, default)

    def pop(self, *args: Any) -> Any:
        """Remove field ``args[0]`` and return its value (or ``args[1]`` when it is missing)."""
        if not 1 <= len(args) <= 2:
            raise DataElementTypeError(f"pop() takes 1 or 2 arguments, but got {len(args)}")
        name = args[0]
        if name in self._metainfo_fields or name in self._data_fields:
            value = getattr(self, name)
            delattr(self, name)
            return value
        if len(args) == 2:
            return args[1]
        raise KeyError(f"{name!r} is not a field of this {type(self).__name__}")

    def __contains__(self, item: str) -> bool:
        return item in self._data_fields or item in self._metainfo_fields

    # ------------------------------------------------------------------ views
    def keys(self) -> list[str]:
        """Names of the data fields (a subclass property's ``_name`` backing field shows as ``name``)."""
        private = {"_" + k for k in self._data_fields if isinstance(getattr(type(self), k, None), property)}
        return self._in_order(self._data_fields - private)

    def metainfo_keys(self) -> list[str]:
        """Names of the metainfo fields."""
        return self._in_order(self._metainfo_fields)

    def values(self) -> list[Any]:
        """Values of the data fields."""
        return [getattr(self, k) for k in self.keys()]

    def metainfo_values(self) -> list[Any]:
        """Values of the metainfo fields."""
        return [getattr(self, k) for k in self.metainfo_keys()]

    def all_keys(self) -> list[str]:
        """Metainfo keys followed by data keys."""
        return self.metainfo_keys() + self.keys()

    def all_values(self) -> list[Any]:
        """Metainfo values followed by data values."""
        return self.metainfo_values() + self.values()

    def all_items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of every field, metainfo first."""
        for k in self.all_keys():
            yield k, getattr(self, k)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of every data field."""
        for k in self.keys():
            yield k, getattr(self, k)

    def metainfo_items(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of every metainfo field."""
        for k in self.metainfo_keys():
            yield k, getattr(self, k)

    @property
    def metainfo(self) -> dict:
        """A dict of the metainfo fields."""
        return dict(self.metainfo_items())

    def _in_order(self, names: set[str]) -> list[str]:
        # Insertion order, which the instance __dict__ remembers (property-backed names last).
        ordered = [k for k in self.__dict__ if k in names]
        return ordered + sorted(names.difference(ordered))

    # ------------------------------------------------------------------ copies
    def new(self, *, metainfo: dict | None = None, **kwargs: Any) -> BaseDataElement:
        """A new element of the same type; fields not given are taken from this one (shallow)."""
        new_data = self.__class__()
        new_data.set_metainfo(metainfo if metainfo is not None else dict(self.metainfo_items()))
        new_data.set_data(kwargs if kwargs else dict(self.items()))
        return new_data

    def clone(self) -> BaseDataElement:
        """A shallow copy: a new element holding the same field values."""
        clone_data = self.__class__()
        clone_data.set_metainfo(dict(self.metainfo_items()))
        clone_data.set_data(dict(self.items()))
        return clone_data

    def _apply(self, fn: Any) -> BaseDataElement:
        new_data = self.new()
        for k, v in self.items():
            new_value = fn(v)
            if new_value is not v:
                new_data.set_data({k: new_value})
        return new_data

    def to(self, *args: Any, **kwargs: Any) -> BaseDataElement:
        """Apply ``.to(*args, **kwargs)`` to every data field that has it."""
        return self._apply(lambda v: v.to(*args, **kwargs) if hasattr(v, "to") else v)

    def cpu(self) -> BaseDataElement:
        """Move tensor data fields to the CPU."""
        return self._apply(lambda v: v.cpu() if isinstance(v, (torch.Tensor, BaseDataElement)) else v)

    def cuda(self) -> BaseDataElement:
        """Move tensor data fields to the current CUDA device."""
        return self._apply(lambda v: v.cuda() if isinstance(v, (torch.Tensor, BaseDataElement)) else v)

    def detach(self) -> BaseDataElement:
        """Detach tensor data fields from the autograd graph."""
        return self._apply(lambda v: v.detach() if isinstance(v, (torch.Tensor, BaseDataElement)) else v)

    def numpy(self) -> BaseDataElement:
        """Convert tensor data fields to numpy arrays."""

        def conv(v: Any) -> Any:
            if isinstance(v, torch.Tensor):
                return v.detach().cpu().numpy()
            if isinstance(v, BaseDataElement):
                return v.numpy()
            return v

        return self._apply(conv)

    def to_tensor(self) -> BaseDataElement:
        """Convert numpy array data fields to tensors."""

        def conv(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return torch.from_numpy(v)
            if isinstance(v, BaseDataElement):
                return v.to_tensor()
            return v

        return self._apply(conv)

    def to_dict(self) -> dict:
        """A plain dict of every field; nested data elements become dicts too."""
        return {k: v.to_dict() if isinstance(v, BaseDataElement) else v for k, v in self.all_items()}

    def __repr__(self) -> str:
        def block(items: Iterator[tuple[str, Any]], indent: str) -> str:
            lines = []
            for k, v in items:
                text = repr(v) if not isinstance(v, BaseDataElement) else v.__repr__()
                text = text.replace("\n", "\n" + indent + "    ")
                lines.append(f"{indent}{k}: {text}")
            return "\n".join(lines)

        indent = "    "
        return (
            f"<{type(self).__name__}(\n\n"
            f"{indent}META INFORMATION\n{block(self.metainfo_items(), indent)}\n\n"
            f"{indent}DATA FIELDS\n{block(self.items(), indent)}\n"
            f") at {hex(id(self))}>"
        )
