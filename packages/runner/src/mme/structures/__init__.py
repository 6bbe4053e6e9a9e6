"""mme.structures: data containers passed between datasets, models and metrics."""

from __future__ import annotations

from mme.runner.version import __version__

from ._base_data_element import BaseDataElement
from ._errors import DataElementFieldError, DataElementTypeError, DataElementValueError
from ._instance_data import InstanceData
from ._label_data import LabelData
from ._pixel_data import PixelData

__all__ = [
    "BaseDataElement",
    "DataElementFieldError",
    "DataElementTypeError",
    "DataElementValueError",
    "InstanceData",
    "LabelData",
    "PixelData",
    "__version__",
]
