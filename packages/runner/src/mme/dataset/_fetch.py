"""Errors raised while a DataLoader fetches samples name the dataset and the index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._errors import FetchError

__all__ = ["name_fetch_errors"]

_REPR_LIMIT = 300


def _describe(dataset: Any) -> str:
    """``ClassName(...)`` from the dataset's own ``__repr__``, or its class name when it has none."""
    cls = type(dataset)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__repr__ is object.__repr__:
        return name
    try:
        text = repr(dataset)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the fetch error
        return name
    text = " ".join(text.split())
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return text if text.startswith(cls.__name__) else f"{name} {text}"


class _NamedFetch:
    """A dataset's ``__getitems__`` that turns an exception into one naming the dataset and the index.

    torch's DataLoader fetches a batch with ``dataset.__getitems__(indices)`` when the dataset
    has it, in the main process or in a worker alike; this object sits there as an instance
    attribute, so the dataset users see keeps its identity, class and attributes.
    """

    __slots__ = ("dataset", "own")

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.own = getattr(type(dataset), "__getitems__", None)

    def __call__(self, indices: Sequence[Any]) -> list[Any]:
        dataset = self.dataset
        if self.own is not None:  # the class fetches batches itself: name the batch
            try:
                return self.own(dataset, indices)
            except Exception as exc:
                raise _fetch_error(dataset, f"indices {list(indices)}", exc) from exc
        samples: list[Any] = []
        append = samples.append
        index = None
        try:
            for index in indices:
                append(dataset[index])
        except Exception as exc:
            raise _fetch_error(dataset, f"index {index!r}", exc) from exc
        return samples


def _fetch_error(dataset: Any, what: str, exc: BaseException) -> FetchError:
    return FetchError(f"{_describe(dataset)} failed to fetch {what}: {type(exc).__name__}: {exc}")


def name_fetch_errors(dataset: Any) -> Any:
    """Make a DataLoader's errors while fetching from ``dataset`` name the dataset and the index.

    An exception raised by the dataset's ``__getitem__`` (or ``__getitems__``) during DataLoader
    fetching becomes a :class:`FetchError` such as ``ToyDataset(...) failed to fetch index 7:
    ValueError: ...``, chained to the original exception (whose traceback a DataLoader worker
    also prints). The dataset object itself is returned, unchanged but for an instance
    attribute ``__getitems__`` torch's DataLoader calls; direct ``dataset[i]`` calls are left
    alone. Objects that take no instance attributes are returned as they are.

    Examples:
        >>> from torch.utils.data import DataLoader
        >>> class Broken:
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, index):
        ...         if index == 2:
        ...             raise KeyError('img')
        ...         return index
        >>> loader = DataLoader(name_fetch_errors(Broken()), batch_size=2)
        >>> next(iter(loader))
        tensor([0, 1])
        >>> list(loader)
        Traceback (most recent call last):
        ...
        mme.dataset._errors.FetchError: ...Broken failed to fetch index 2: KeyError: 'img'
    """
    current = getattr(dataset, "__dict__", {}).get("__getitems__")
    if isinstance(current, _NamedFetch):
        return dataset
    try:
        dataset.__getitems__ = _NamedFetch(dataset)
    except (AttributeError, TypeError):  # __slots__ or a read-only object: leave it as it is
        pass
    return dataset
