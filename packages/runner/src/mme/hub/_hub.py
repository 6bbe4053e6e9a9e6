"""get_config and get_model: configs and models that installed packages ship, by ``package::path``."""

from __future__ import annotations

import importlib
import os.path as osp
from typing import Any

from torch import nn

from mme import fileio
from mme.config import Config
from mme.registry import MODELS, DefaultScope
from mme.utils import get_installed_path, is_installed

__all__ = ["get_config", "get_model"]

_METAFILE_NAMES = ("model-index.yml", "model-index.yaml")


def _split(cfg_path: str) -> tuple[str, str]:
    package, sep, relative = cfg_path.partition("::")
    if not sep or not package or not relative:
        raise ValueError(f"cfg_path must look like 'package::path/to/config.py', got {cfg_path!r}")
    return package, relative.replace("\\", "/").lstrip("/")


def _roots(package: str) -> list[str]:
    """Where a package keeps its configs and model index: ``<pkg>/.mim``, then ``<pkg>``, then the
    folder above it (a checkout installed in development mode)."""
    if not is_installed(package):
        raise RuntimeError(f"cannot find the installed package {package!r} (is it installed, or on sys.path?)")
    path = get_installed_path(package)
    if osp.isfile(path):  # a single-module distribution
        path = osp.dirname(path)
    return [osp.join(path, ".mim"), path, osp.dirname(path)]


def _normalize(path: str) -> str:
    path = osp.normpath(path).replace("\\", "/")
    return path[len("configs/"):] if path.startswith("configs/") else path


def _models_in_index(root: str) -> list[dict]:
    """The model entries of ``root/model-index.yml`` and of the metafiles it imports."""
    for name in _METAFILE_NAMES:
        index_file = osp.join(root, name)
        if osp.isfile(index_file):
            break
    else:
        return []
    index = fileio.load(index_file) or {}
    models = list(index.get("Models") or [])
    for metafile in index.get("Import") or []:
        meta = fileio.load(osp.join(root, metafile)) or {}
        models += list(meta.get("Models") or [])
    return [m for m in models if isinstance(m, dict) and m.get("Config")]


def _locate(package: str, relative: str) -> tuple[str, dict | None]:
    """The config file of ``package::relative`` and its model-index entry (``None`` if it has none)."""
    wanted = _normalize(relative)
    searched = []
    for root in _roots(package):
        for entry in _models_in_index(root):
            if _normalize(entry["Config"]) == wanted:
                cfg_file = osp.join(root, entry["Config"])
                if osp.isfile(cfg_file):
                    return cfg_file, entry
        for candidate in (osp.join(root, "configs", wanted), osp.join(root, relative)):
            searched.append(candidate)
            if osp.isfile(candidate):
                return candidate, None
    raise FileNotFoundError(f"cannot find the config {relative!r} of package {package!r}; looked in the model "
                            f"index and at {', '.join(dict.fromkeys(searched))}")


def get_config(cfg_path: str, pretrained: bool = False) -> Config:
    """Load a config that an installed package ships, as ``package::path/to/config.py``.

    The path is relative to the package's ``configs`` folder, found in ``<package>/.mim/configs``
    (where OpenMMLab packages install them), ``<package>/configs`` or, for a development install,
    next to the package. The package's ``model-index.yml`` (and the metafiles it imports) says
    where a model's config is and where its weights are.

    Args:
        cfg_path: ``package::relative/path.py``, e.g. ``'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'``.
        pretrained: Set ``cfg.model_path`` to the URL of the model's weights, from its metafile entry.

    Raises:
        ValueError: ``cfg_path`` is not ``package::path``; or ``pretrained`` and the metafile
            gives no weights for the config.
        RuntimeError: The package is not installed.
        FileNotFoundError: The package has no such config.
    """
    package, relative = _split(cfg_path)
    cfg_file, entry = _locate(package, relative)
    cfg = Config.fromfile(cfg_file)
    if pretrained:
        weights = entry.get("Weights") if entry is not None else None
        if not weights:
            raise ValueError(f"no weights for {cfg_path!r}: its package's model index (model-index.yml and the "
                             f"metafiles it imports) has no 'Weights' for {relative!r}")
        cfg.model_path = weights
    return cfg


def _register_modules(package: str) -> None:
    """Import the package so that its modules register; call ``<package>.utils.register_all_modules()``
    where it has one (the OpenMMLab convention)."""
    try:
        utils = importlib.import_module(f"{package}.utils")
    except ModuleNotFoundError as e:
        if e.name not in (package, f"{package}.utils"):
            raise
        importlib.import_module(package)
        return
    register = getattr(utils, "register_all_modules", None)
    if callable(register):
        register(init_default_scope=False) if _takes_init_default_scope(register) else register()


def _takes_init_default_scope(fn: Any) -> bool:
    import inspect

    try:
        return "init_default_scope" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def get_model(cfg_path: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """Build the model of a config that an installed package ships (see :func:`get_config`).

    The model is built from ``cfg.model`` in the package's registry scope, with the config's
    ``data_preprocessor`` and ``kwargs`` as default arguments.

    Args:
        cfg_path: ``package::relative/path.py``.
        pretrained: Load the weights that the package's model index gives for the config.
        **kwargs: Default arguments of the model's constructor.

    Raises:
        ValueError, RuntimeError, FileNotFoundError: As :func:`get_config`.
    """
    package, _ = _split(cfg_path)
    with DefaultScope.overwrite_default_scope(package):
        cfg = get_config(cfg_path, pretrained)
        if "data_preprocessor" in cfg:
            kwargs.setdefault("data_preprocessor", cfg.data_preprocessor)
        _register_modules(package)
        model = MODELS.build(cfg.model, default_args=kwargs)
        if pretrained:
            from mme.runner import load_checkpoint

            load_checkpoint(model, cfg.model_path, map_location="cpu")
            model._is_init = True  # the weights are loaded: init_weights() must not overwrite them
        return model
