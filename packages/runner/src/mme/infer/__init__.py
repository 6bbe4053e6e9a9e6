"""mme.infer: BaseInferencer, the base of model inferencers built from a config and weights."""

from __future__ import annotations

from mme.runner.version import __version__

from ._infer import BaseInferencer, InferencerMeta

__all__ = ["BaseInferencer", "InferencerMeta", "__version__"]
