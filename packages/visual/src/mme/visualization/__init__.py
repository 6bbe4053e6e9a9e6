"""mme.visualization: draw on images and send scalars, images and configs to monitoring backends.

Importing this package registers ``Visualizer`` in ``mme.registry.VISUALIZERS`` and every
backend in ``mme.registry.VISBACKENDS``; no third-party backend package is imported until a
backend is first used.
"""

from __future__ import annotations

from ._backends import (
    AimVisBackend,
    BaseVisBackend,
    ClearMLVisBackend,
    DVCLiveVisBackend,
    LocalVisBackend,
    MLflowVisBackend,
    NeptuneVisBackend,
    TensorboardVisBackend,
    WandbVisBackend,
    force_init_env,
)
from ._errors import BackendNotInstalledError, DrawArgumentError, ScalarsFileError, VisBackendConfigError
from ._plot import find_scalars_file, find_scalars_files, load_scalars, plot_curves
from ._utils import (
    check_length,
    check_type,
    check_type_and_length,
    color_str2rgb,
    color_val_matplotlib,
    convert_overlay_heatmap,
    img_from_canvas,
    tensor2ndarray,
    value2list,
    wait_continue,
)
from ._visualizer import Visualizer
from .version import __version__

__all__ = [
    "AimVisBackend",
    "BackendNotInstalledError",
    "BaseVisBackend",
    "ClearMLVisBackend",
    "DVCLiveVisBackend",
    "DrawArgumentError",
    "LocalVisBackend",
    "MLflowVisBackend",
    "NeptuneVisBackend",
    "ScalarsFileError",
    "TensorboardVisBackend",
    "VisBackendConfigError",
    "Visualizer",
    "WandbVisBackend",
    "__version__",
    "check_length",
    "check_type",
    "check_type_and_length",
    "color_str2rgb",
    "color_val_matplotlib",
    "convert_overlay_heatmap",
    "find_scalars_file",
    "find_scalars_files",
    "force_init_env",
    "img_from_canvas",
    "load_scalars",
    "plot_curves",
    "tensor2ndarray",
    "value2list",
    "wait_continue",
]
