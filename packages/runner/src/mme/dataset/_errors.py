"""Errors raised by mme.dataset."""

from __future__ import annotations


class DatasetTypeError(TypeError):
    """A dataset, annotation file, transform or sampler argument has the wrong type."""


class DatasetValueError(ValueError):
    """A dataset or sampler argument has a wrong value."""


class DatasetKeyError(DatasetValueError, KeyError):
    """An annotation misses a key the dataset needs."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FetchError(RuntimeError):
    """A sample could not be fetched: the pipeline kept returning None for it (after
    ``max_refetch`` retries), or the dataset raised while a DataLoader fetched it (see
    ``name_fetch_errors``)."""
