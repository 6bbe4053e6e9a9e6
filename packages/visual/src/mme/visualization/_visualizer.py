"""The Visualizer: drawing on images, and fanning records out to every configured backend."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from mme.registry import VISBACKENDS, VISUALIZERS
from mme.utils import ManagerMixin

from ._backends import BaseVisBackend
from ._canvas import Canvas
from ._checks import check_image
from ._drawing import DrawingMixin
from ._errors import DrawArgumentError, VisBackendConfigError
from ._featmap import draw_featmap as _draw_featmap
from ._mpl import mpl
from ._show import show_image

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])


def master_only(method: _F) -> _F:
    """``mme.dist.master_only``, with mme.dist (and so torch) imported on the first call, not at import.

    Importing mme.visualization stays light for ``mme logs plot``, which takes its arguments from
    ``mme.visualization.plot``.
    """

    @functools.wraps(method)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from mme.dist import is_main_process

        return method(*args, **kwargs) if is_main_process() else None

    return wrapped  # type: ignore[return-value]


@VISUALIZERS.register_module()
class Visualizer(DrawingMixin, ManagerMixin):
    """Draws on images and sends scalars, images, configs and graphs to every backend at once.

    Drawing happens on a matplotlib figure laid pixel-for-pixel over the image (Agg backend, no
    display needed): ``set_image``, then any ``draw_*`` calls, then ``get_image`` returns the
    result as an ``(H, W, 3)`` uint8 RGB array. The ``add_*`` methods and ``show`` run on rank 0
    only. A backend that raises is logged once (with its traceback) and skipped for that call;
    the others and the caller carry on.

    Args:
        name: Instance name (see ``ManagerMixin``).
        image: Image to draw on, RGB.
        vis_backends: Backend configs (dicts with ``type`` and optionally ``name``), backend
            instances, or a single one of those. Defaults to one ``LocalVisBackend`` when
            ``save_dir`` is given, and to none otherwise.
        save_dir: Root directory of the backends' files; each backend config without its own
            ``save_dir`` gets ``<save_dir>/vis_data``.
        fig_save_cfg: Keyword arguments of the drawing figure (``matplotlib.figure.Figure``).
        fig_show_cfg: Keyword arguments of the figure ``show`` opens.

    Examples:
        >>> import numpy as np
        >>> vis = Visualizer(name="doc", image=np.zeros((32, 32, 3), dtype=np.uint8))
        >>> vis.draw_bboxes(np.array([4, 4, 20, 20]), edge_colors="r", face_colors="r")
        >>> int(vis.get_image()[12, 12, 0]) > 200
        True
    """

    def __init__(
        self,
        name: str = "visualizer",
        image: np.ndarray | None = None,
        vis_backends: Any = None,
        save_dir: str | os.PathLike[str] | None = None,
        fig_save_cfg: dict[str, Any] | None = None,
        fig_show_cfg: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name)
        self._dataset_meta: dict[str, Any] | None = None
        self.fig_save_cfg = dict(fig_save_cfg) if fig_save_cfg is not None else {"frameon": False}
        self.fig_show_cfg = dict(fig_show_cfg) if fig_show_cfg is not None else {"frameon": False}
        self._canvas = Canvas(self.fig_save_cfg)
        self._save_dir = None if save_dir is None else os.fspath(save_dir)
        self._vis_backends: dict[str, BaseVisBackend] = self._build_backends(vis_backends, self._save_dir)
        self._failures: dict[str, int] = {}
        self._skipped_keys: set[str] = set()
        if image is not None:
            self.set_image(image)

    # ------------------------------------------------------------------ backends
    @staticmethod
    def _build_backends(vis_backends: Any, save_dir: str | None) -> dict[str, BaseVisBackend]:
        if vis_backends is None:
            vis_backends = [] if save_dir is None else [{"type": "LocalVisBackend"}]
        if isinstance(vis_backends, (Mapping, BaseVisBackend)):
            vis_backends = [vis_backends]
        if not isinstance(vis_backends, Sequence) or isinstance(vis_backends, str):
            raise VisBackendConfigError(
                f"vis_backends must be a backend config dict, a backend, or a list of them, got {vis_backends!r}"
            )
        backends: dict[str, BaseVisBackend] = {}
        default_dir = None if save_dir is None else os.path.join(save_dir, "vis_data")
        for index, item in enumerate(vis_backends):
            if isinstance(item, BaseVisBackend):
                name, backend = item.name, item
            elif isinstance(item, Mapping):
                cfg = dict(item)
                if "type" not in cfg:
                    raise VisBackendConfigError(f"vis_backends[{index}] has no 'type': {item!r}")
                type_ = cfg["type"]
                name = cfg.pop("name", None) or (type_ if isinstance(type_, str) else type_.__name__)
                if cfg.get("save_dir") is None and default_dir is not None:
                    cfg["save_dir"] = default_dir
                backend = VISBACKENDS.build(cfg)
            else:
                raise VisBackendConfigError(f"vis_backends[{index}] must be a config dict or a backend, got {item!r}")
            if name in backends:
                raise VisBackendConfigError(f"two vis_backends are called {name!r}; give one of them a distinct 'name'")
            backends[name] = backend
        return backends

    @property
    def vis_backends(self) -> dict[str, BaseVisBackend]:
        """The backends by name (a copy)."""
        return dict(self._vis_backends)

    @property
    def backend_failures(self) -> dict[str, int]:
        """How many calls each failing backend has raised on (backends that never failed are absent)."""
        return dict(self._failures)

    def get_backend(self, name: str) -> BaseVisBackend | None:
        """The backend called ``name`` (its config ``name``, or its type), or ``None``."""
        return self._vis_backends.get(name)

    def _fan_out(self, method: str, *args: Any, **kwargs: Any) -> None:
        for name, backend in self._vis_backends.items():
            try:
                getattr(backend, method)(*args, **kwargs)
            except Exception:
                count = self._failures.get(name, 0) + 1
                self._failures[name] = count
                if count == 1:
                    logger.warning(
                        "visualization backend %s failed in %s and is skipped for this call; "
                        "further failures of it are logged at DEBUG level",
                        name,
                        method,
                        exc_info=True,
                    )
                else:
                    logger.debug("visualization backend %s failed in %s (failure %d)", name, method, count)

    # ------------------------------------------------------------------ image
    @property
    def dataset_meta(self) -> dict[str, Any] | None:
        """Meta information of the dataset (classes, palette...) for subclasses that draw samples."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: dict[str, Any] | None) -> None:
        self._dataset_meta = meta

    @property
    def width(self) -> int:
        """Width of the current image in pixels."""
        return self._canvas.width

    @property
    def height(self) -> int:
        """Height of the current image in pixels."""
        return self._canvas.height

    @property
    def fig_save(self) -> Any:
        """The matplotlib figure drawn on."""
        return self._canvas.figure

    @property
    def ax_save(self) -> Any:
        """The matplotlib axes drawn on; data coordinates are pixel coordinates."""
        return self._canvas.axes

    def set_image(self, image: np.ndarray) -> None:
        """Start drawing on ``image`` (RGB; grayscale and RGBA are converted), dropping earlier drawings."""
        self._canvas.set_image(image)

    def get_image(self) -> np.ndarray:
        """The image with everything drawn so far, as an ``(H, W, 3)`` uint8 RGB array."""
        if not self._canvas.has_image:
            raise DrawArgumentError("get_image: no image has been set; call set_image first")
        return self._canvas.render()

    def _require_image(self, method: str) -> None:
        if not self._canvas.has_image:
            raise DrawArgumentError(f"{method}: no image has been set; call set_image first")

    @staticmethod
    def draw_featmap(
        featmap: Any,
        overlaid_image: np.ndarray | None = None,
        channel_reduction: str | None = "squeeze_mean",
        topk: int = 20,
        arrangement: tuple[int, int] = (4, 5),
        resize_shape: tuple[int, int] | None = None,
        alpha: float = 0.5,
    ) -> np.ndarray:
        """Render a ``(C, H, W)`` feature map (torch tensor or numpy array) as an RGB heat map.

        Args:
            featmap: The feature map.
            overlaid_image: RGB image to blend the heat map over; the map is resized to it.
            channel_reduction: ``"squeeze_mean"`` (mean over channels), ``"select_max"`` (the
                channel with the largest total activation) or ``None`` (use ``topk``).
            topk: With ``channel_reduction=None``, show the ``topk`` most active channels in a
                grid; ``topk <= 0`` needs a 1- or 3-channel map, shown as is.
            arrangement: ``(rows, cols)`` of the top-k grid.
            resize_shape: ``(height, width)`` to resize the map (and ``overlaid_image``) to.
            alpha: Weight of the heat map when blending over ``overlaid_image``.

        Returns:
            An ``(H, W, 3)`` uint8 RGB image.
        """
        return _draw_featmap(featmap, overlaid_image, channel_reduction, topk, arrangement, resize_shape, alpha)

    @master_only
    def show(
        self,
        drawn_img: np.ndarray | None = None,
        win_name: str = "image",
        wait_time: float = 0.0,
        continue_key: str = " ",
        backend: str = "matplotlib",
    ) -> bool:
        """Show the drawn image in a window; returns ``False`` (and logs) when nothing can be shown.

        Without a display, or when matplotlib's backend is non-interactive (Agg, in CI), this
        returns ``False`` without opening anything.

        Args:
            drawn_img: Image to show; the current drawing by default.
            win_name: Window title.
            wait_time: Seconds to show the window; 0 waits for ``continue_key`` or the window to close.
            continue_key: Key that closes the window when ``wait_time`` is 0.
            backend: Only ``"matplotlib"`` is supported.
        """
        if backend != "matplotlib":
            raise DrawArgumentError(f"show: backend must be 'matplotlib', got {backend!r}")
        image = self.get_image() if drawn_img is None else check_image(drawn_img, "show: drawn_img")
        return show_image(image, win_name, wait_time, continue_key, self.fig_show_cfg)

    # ------------------------------------------------------------------ records
    @master_only
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Send the experiment config (a ``mme.config.Config`` or a mapping) to every backend."""
        if not (isinstance(config, Mapping) or hasattr(config, "to_dict")):
            raise TypeError(f"add_config: config must be a mme.config.Config or a mapping, got {type(config).__name__}")
        self._fan_out("add_config", config, **kwargs)

    @master_only
    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Send the model graph to every backend that can record one."""
        self._fan_out("add_graph", model, data_batch, **kwargs)

    @master_only
    def add_image(self, name: str, image: np.ndarray, step: int = 0) -> None:
        """Send an RGB image to every backend."""
        self._fan_out("add_image", _check_name(name, "add_image"), check_image(image, "add_image: image"), _step(step))

    @master_only
    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        """Send one scalar (a number, numpy scalar or one-element tensor) to every backend."""
        self._fan_out("add_scalar", _check_name(name, "add_scalar"), _number(value, name), _step(step), **kwargs)

    @master_only
    def add_scalars(
        self, scalar_dict: Mapping[str, Any], step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Send several scalars recorded at one step to every backend.

        Values that are not one number (a string, a list, a multi-element tensor) are left out,
        with a warning logged once per key; ``add_scalar`` raises ``TypeError`` for them instead.

        Args:
            scalar_dict: ``{name: value}``.
            step: Global step.
            file_path: For LocalVisBackend, an extra ``.json`` file (relative to its save_dir)
                that gets the same line.
        """
        if not isinstance(scalar_dict, Mapping):
            raise TypeError(f"add_scalars: scalar_dict must be a mapping, got {type(scalar_dict).__name__}")
        if file_path is not None and not str(file_path).endswith(".json"):
            raise VisBackendConfigError(f"add_scalars: file_path must end in .json, got {file_path!r}")
        step = _step(step)
        values = {}
        for key, value in scalar_dict.items():
            _check_name(key, "add_scalars")
            try:
                values[key] = _number(value, key)
            except TypeError as exc:  # a metric that is not one number must not stop training
                if key not in self._skipped_keys:
                    self._skipped_keys.add(key)
                    logger.warning("add_scalars: not recording %r: %s", key, exc)
        if values:
            self._fan_out("add_scalars", values, step, file_path, **kwargs)

    @master_only
    def add_datasample(
        self,
        name: str,
        image: np.ndarray,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        out_file: str | os.PathLike[str] | None = None,
        pred_score_thr: float = 0.3,
        step: int = 0,
    ) -> None:
        """Draw a sample and show it, save it to ``out_file``, or else send it to the backends.

        The base class draws only the image; task libraries override this to draw the ground
        truth and predictions held in ``data_sample``.
        """
        self.set_image(image)
        drawn = self.get_image()
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
            mpl("image").imsave(os.fspath(out_file), drawn)
        else:
            self.add_image(name, drawn, step)

    def close(self) -> None:
        """Close every backend (flushing their files and runs) and release the figure."""
        for name, backend in self._vis_backends.items():
            try:
                backend.close()
            except Exception:
                logger.warning("visualization backend %s failed to close", name, exc_info=True)
        self._canvas.close()


def _check_name(name: Any, method: str) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{method}: names must be non-empty strings, got {name!r}")
    return name


def _step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
        raise TypeError(f"step must be an int, got {step!r}")
    return int(step)


def _number(value: Any, name: Any) -> int | float:
    if type(value) is float or type(value) is int:  # what the log processor sends
        return value
    raw = value
    if hasattr(value, "detach") and hasattr(value, "numel"):
        if value.numel() != 1:
            raise TypeError(f"scalar {name!r} must hold one value, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    elif isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(f"scalar {name!r} must hold one value, got an array of shape {value.shape}")
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"scalar {name!r} must be a number, got {raw!r}")
    return value
