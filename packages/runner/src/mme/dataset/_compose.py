"""Compose: chain data transforms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mme.registry import TRANSFORMS

from ._errors import DatasetTypeError


class Compose:
    """Apply transforms one after another; stop and return None when one returns None.

    Not registered in TRANSFORMS, as in MMEngine: the root registry holds no transform, and
    downstream libraries register their own ``Compose`` there (mmcv does).

    Args:
        transforms: Callables or configs of transforms registered in TRANSFORMS (or None).

    Examples:
        >>> Compose([lambda d: {**d, 'a': 1}])({'b': 2})
        {'b': 2, 'a': 1}
    """

    def __init__(self, transforms: Sequence[dict | Callable] | dict | Callable | None) -> None:
        if transforms is None:
            transforms = []
        elif isinstance(transforms, dict) or callable(transforms):
            transforms = [transforms]
        if not isinstance(transforms, Sequence) or isinstance(transforms, str):
            raise DatasetTypeError(f"transforms must be a list of dicts or callables, but got {transforms!r}")
        self.transforms: list[Callable] = []
        for i, transform in enumerate(transforms):
            if isinstance(transform, dict):
                transform = TRANSFORMS.build(transform)
                if not callable(transform):
                    raise DatasetTypeError(f"transform {i} was built as {transform!r}, which is not callable")
            elif not callable(transform):
                raise DatasetTypeError(
                    f"transform {i} must be a callable or a config dict, but got {type(transform).__name__}"
                )
            self.transforms.append(transform)

    def __call__(self, data: Any) -> Any:
        """Apply the transforms to ``data``."""
        for t in self.transforms:
            data = t(data)
            if data is None:
                return None
        return data

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"
