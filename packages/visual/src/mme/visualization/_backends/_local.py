"""LocalVisBackend: scalars as JSON lines, images as PNG files and the config as ``config.py``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from .._errors import VisBackendConfigError
from .._mpl import mpl
from ._base import BaseVisBackend, config_text, force_init_env, scalar_value

# json.dumps with any option builds a new encoder per call; scalars are written many times per run
_to_json = json.JSONEncoder(ensure_ascii=False).encode


@VISBACKENDS.register_module()
class LocalVisBackend(BaseVisBackend):
    """Writes everything under ``save_dir`` on the local disk.

    Layout (the runner passes ``<work_dir>/<timestamp>/vis_data`` as ``save_dir``)::

        save_dir/scalars.json       one JSON object per add_scalar(s) call, with its "step"
        save_dir/config.py          the config given to add_config
        save_dir/vis_image/<name>_<step>.png

    Nothing is created before the first ``add_*`` call.

    Args:
        save_dir: Directory to write to.
        img_save_dir: Sub-directory of ``save_dir`` for images.
        config_save_file: File name of the dumped config.
        scalar_save_file: File name of the scalars file (must end in ``.json``).

    Examples:
        >>> import json, tempfile
        >>> backend = LocalVisBackend(save_dir=tempfile.mkdtemp())
        >>> backend.add_scalars({"loss": 0.5, "lr": 0.1}, step=10)
        >>> backend.close()
        >>> with open(backend.scalar_save_path) as f:
        ...     json.loads(f.readline())
        {'loss': 0.5, 'lr': 0.1, 'step': 10}
    """

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        img_save_dir: str = "vis_image",
        config_save_file: str = "config.py",
        scalar_save_file: str = "scalars.json",
    ) -> None:
        if save_dir is None:
            raise VisBackendConfigError("LocalVisBackend needs a save_dir (pass save_dir to it or to the Visualizer)")
        if not str(scalar_save_file).endswith(".json"):
            raise VisBackendConfigError(
                f"LocalVisBackend: scalar_save_file must end in .json, got {scalar_save_file!r}"
            )
        super().__init__(save_dir)
        self._root = os.fspath(save_dir)
        self._img_save_dir = os.path.join(self._root, img_save_dir)
        self._config_save_file = os.path.join(self._root, config_save_file)
        self._scalar_save_file = os.path.join(self._root, scalar_save_file)
        self._files: dict[str, Any] = {}
        self._extra_files: dict[str, str] = {}  # add_scalars' file_path -> checked full path

    @property
    def scalar_save_path(self) -> str:
        """Path of the scalars file."""
        return self._scalar_save_file

    def _init_env(self) -> None:
        os.makedirs(self._root, exist_ok=True)

    def _experiment(self) -> LocalVisBackend:
        return self

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Dump the config to ``save_dir/config.py`` (``Config.dump``, or its text for a mapping)."""
        dump = getattr(config, "dump", None)
        if callable(dump):
            dump(self._config_save_file)
            return
        with open(self._config_save_file, "w", encoding="utf-8") as f:
            f.write(config_text(config))

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Save the RGB image as ``vis_image/<name>_<step>.png``."""
        os.makedirs(self._img_save_dir, exist_ok=True)
        safe = str(name).replace(os.sep, "_")
        mpl("image").imsave(os.path.join(self._img_save_dir, f"{safe}_{step}.png"), np.asarray(image, dtype=np.uint8))

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Append ``{name: value, "step": step}`` to the scalars file."""
        line = _to_json({name: scalar_value(value), "step": step})
        self._write(self._scalar_save_file, line + "\n")

    @force_init_env
    def add_scalars(
        self, scalar_dict: Mapping[str, int | float], step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Append one JSON object with every scalar and ``step``.

        Args:
            scalar_dict: Scalars to record.
            step: Global step.
            file_path: Also append the same line to this ``.json`` file, relative to ``save_dir``
                (it must differ from the scalars file).
        """
        record = {key: scalar_value(value) for key, value in scalar_dict.items()}
        record["step"] = step
        line = _to_json(record) + "\n"
        self._write(self._scalar_save_file, line)
        if file_path is not None:
            self._write(self._extra_file(file_path), line)

    def _extra_file(self, file_path: str) -> str:
        known = self._extra_files.get(file_path)
        if known is not None:
            return known
        if not str(file_path).endswith(".json"):
            raise VisBackendConfigError(f"LocalVisBackend: file_path must end in .json, got {file_path!r}")
        extra = os.path.join(self._root, file_path)
        if os.path.abspath(extra) == os.path.abspath(self._scalar_save_file):
            raise VisBackendConfigError(f"LocalVisBackend: file_path {file_path!r} is the scalars file itself")
        self._extra_files[file_path] = extra
        return extra

    def _write(self, path: str, line: str) -> None:
        # The files stay open between calls (opening one costs more than the write); each line is
        # flushed, so the operating system has it even if the process is killed right after.
        f = self._files.get(path)
        if f is None:
            f = self._files[path] = open(path, "a", encoding="utf-8")  # noqa: SIM115 -- closed by close()
        f.write(line)
        f.flush()

    def close(self) -> None:
        """Close the scalar files (the backend reopens them, appending, if used again)."""
        files, self._files = self._files, {}
        for f in files.values():
            f.close()
