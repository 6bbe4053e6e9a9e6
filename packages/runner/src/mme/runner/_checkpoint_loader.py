"""CheckpointLoader: load a checkpoint from a path or URI whose prefix picks the loader.

``CheckpointLoader.load_checkpoint("torchvision://resnet50")`` dispatches on the prefix to one of
the ``load_from_*`` functions, as MMEngine does:

========================================  ==========================================
prefix                                    loader
========================================  ==========================================
none (a local path)                       :func:`load_from_local`
``http://``, ``https://``                 :func:`load_from_http` (downloads once, into a cache)
``torchvision://``, ``modelzoo://``       :func:`load_from_torchvision` (needs torchvision)
``open-mmlab://``, ``openmmlab://``       :func:`load_from_openmmlab`
``mmcls://``                              :func:`load_from_mmcls`
``pavi://``                               :func:`load_from_pavi` (needs pavi)
``petrel://``, ``cluster:s3://``          :func:`load_from_ceph` (needs petrel_client)
``s3://``                                 mme.fileio's S3 backend (needs boto3)
========================================  ==========================================

Every built-in loader loads with ``torch.load(weights_only=True)`` unless told otherwise. mme
ships no table of OpenMMLab model URLs: ``open-mmlab://name`` and ``mmcls://name`` look names up
in ``open_mmlab.json``, ``mmcls.json`` and ``deprecated.json`` under :func:`mmengine_home`
(``$MMENGINE_HOME``, else ``$XDG_CACHE_HOME/mmengine``, else ``~/.cache/mmengine``), which you
write (``{"name": "https://..."}``).
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import os
import os.path as osp
import re
import urllib.error
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import torch

import mme.fileio as fileio
from mme.dist import barrier, get_dist_info
from mme.dl_utils import load_url
from mme.logging import print_log

from ._errors import CheckpointError

__all__ = [
    "DEFAULT_CACHE_DIR",
    "ENV_MMENGINE_HOME",
    "ENV_XDG_CACHE_HOME",
    "CheckpointLoader",
    "get_deprecated_model_names",
    "get_external_models",
    "get_mmcls_models",
    "get_torchvision_models",
    "load_from_ceph",
    "load_from_http",
    "load_from_local",
    "load_from_mmcls",
    "load_from_openmmlab",
    "load_from_pavi",
    "load_from_torchvision",
    "mmengine_home",
]

ENV_MMENGINE_HOME = "MMENGINE_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"

logger = logging.getLogger(__name__)


def mmengine_home() -> str:
    """The directory of the model tables and relative model-zoo files (created if missing)."""
    home = osp.expanduser(
        os.getenv(ENV_MMENGINE_HOME, osp.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "mmengine")))
    os.makedirs(home, exist_ok=True)
    return home


class CheckpointLoader:
    """Loads checkpoints through the loader registered for the path's prefix.

    A prefix is a regular expression matched at the start of the path; when several match,
    the one sorting last wins (so ``''``, the local loader, is the fallback). A loader is called
    as ``loader(filename, map_location)``, plus ``weights_only=...`` when it accepts that
    keyword (every built-in one does).
    """

    _schemes: dict[str, Callable[..., Any]] = {}

    @classmethod
    def _register_scheme(cls, prefixes: str | Sequence[str], loader: Callable[..., Any], force: bool = False) -> None:
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        elif not (isinstance(prefixes, (list, tuple)) and all(isinstance(p, str) for p in prefixes)):
            raise TypeError(f"register_scheme: prefixes must be a str or a list/tuple of str, got {prefixes!r}")
        if not callable(loader):
            raise TypeError(f"register_scheme: the loader must be callable, got {loader!r}")
        for prefix in prefixes:
            if prefix in cls._schemes and not force:
                raise KeyError(f'{prefix} is already registered as a loader backend ({cls._schemes[prefix].__name__}), '
                               'add "force=True" if you want to override it')
            cls._schemes[prefix] = loader
        cls._schemes = OrderedDict(sorted(cls._schemes.items(), key=lambda item: item[0], reverse=True))

    @classmethod
    def register_scheme(cls, prefixes: str | Sequence[str], loader: Callable[..., Any] | None = None,
                        force: bool = False) -> Any:
        """Register ``loader`` for paths starting with ``prefixes``; without a loader, return a decorator.

        Raises:
            KeyError: A prefix is already registered and ``force`` is False.
        """
        if loader is not None:
            cls._register_scheme(prefixes, loader, force=force)
            return loader

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            cls._register_scheme(prefixes, fn, force=force)
            return fn

        return decorator

    @classmethod
    def _get_checkpoint_loader(cls, path: str) -> Callable[..., Any]:
        """The loader of ``path``: the first registered prefix (in reverse sorted order) matching it."""
        for prefix, loader in cls._schemes.items():
            if re.match(prefix, path) is not None:
                return loader
        raise CheckpointError(f"no checkpoint loader matches {path!r}; registered prefixes: {list(cls._schemes)}")

    @classmethod
    def load_checkpoint(cls, filename: str, map_location: Any = None, logger: Any = "current",
                        weights_only: bool = True) -> Any:
        """Load ``filename`` with the loader its prefix selects.

        Args:
            filename: A local path or a URI (``http://``, ``torchvision://``, ``open-mmlab://``, ...).
            map_location: Passed to ``torch.load``.
            logger: Where to log which loader is used (``print_log``'s argument).
            weights_only: Load with ``torch.load(weights_only=True)``; pass False only for trusted
                files that pickle other objects.
        """
        filename = os.fspath(filename)
        loader = cls._get_checkpoint_loader(filename)
        name = loader.__name__[len("load_from_"):] if loader.__name__.startswith("load_from_") else loader.__name__
        print_log(f"Loads checkpoint by {name} backend from path: {filename}", logger=logger)
        if _accepts_weights_only(loader):
            return loader(filename, map_location, weights_only=weights_only)
        return loader(filename, map_location)


def _accepts_weights_only(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "weights_only" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _torch_load_bytes(data: bytes, filename: str, map_location: Any, weights_only: bool) -> Any:
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=weights_only)
    except Exception as exc:
        if weights_only and "weights_only" in str(exc):
            from ._errors import UnsafeCheckpointError

            raise UnsafeCheckpointError(
                f"checkpoint {filename} contains pickled objects that weights_only loading refuses; "
                "if you trust the file, load it with weights_only=False") from exc
        raise


@CheckpointLoader.register_scheme(prefixes="")
def load_from_local(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load a local checkpoint file (``~`` is expanded); mme's truncation and checksum checks apply.

    Raises:
        FileNotFoundError: No such file.
    """
    from ._checkpoint import _load_checkpoint

    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f"{filename} can not be found.")
    return _load_checkpoint(filename, map_location, weights_only=weights_only, backend_args={"backend": "local"})


@CheckpointLoader.register_scheme(prefixes=("http://", "https://"))
def load_from_http(filename: str, map_location: Any = None, model_dir: str | None = None, progress: bool = False,
                   weights_only: bool = True) -> Any:
    """Download a checkpoint once into ``model_dir`` (torch hub's cache by default) and load it.

    In a distributed run rank 0 downloads while the others wait, then they read the cached file.

    Raises:
        CheckpointError: The download failed (no network, an HTTP error, ...).
    """
    rank, world_size = get_dist_info()

    def load() -> Any:
        try:
            return load_url(filename, model_dir=model_dir, map_location=map_location, progress=progress,
                            weights_only=weights_only)
        except urllib.error.HTTPError as exc:
            raise CheckpointError(f"cannot download checkpoint {filename}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CheckpointError(
                f"cannot download checkpoint {filename}: {reason}; check the network, or download the file "
                "and load it from a local path") from exc

    if rank == 0:
        checkpoint = load()
    if world_size > 1:
        barrier()
        if rank > 0:
            checkpoint = load()
    return checkpoint


def get_torchvision_models() -> dict[str, str]:
    """``{"resnet50.imagenet1k_v1": url, "resnet50.default": url, ...}`` of torchvision's weights.

    Raises:
        ImportError: torchvision is not installed.
    """
    try:
        import torchvision.models
    except ImportError as exc:
        raise ImportError("torchvision:// checkpoints need torchvision: pip install torchvision") from exc
    import pkgutil

    modules = [torchvision.models]
    for info in pkgutil.walk_packages(torchvision.models.__path__, "torchvision.models."):
        try:
            modules.append(__import__(info.name, fromlist=["_"]))
        except Exception:  # an optional model family that does not import here
            continue
    urls: dict[str, str] = {}
    for module in modules:
        for cls_name, cls in vars(module).items():
            if not cls_name.endswith("_Weights") or not hasattr(cls, "DEFAULT"):
                continue
            key = cls_name[: -len("_Weights")].lower()
            urls[f"{key}.default"] = cls.DEFAULT.url
            for weights in cls:
                urls[f"{key}.{weights.name.lower()}"] = weights.url
    return urls


def _read_table(name: str) -> dict[str, str]:
    path = osp.join(mmengine_home(), name)
    if not osp.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"model table {path} is not readable JSON: {exc}") from exc
    if not isinstance(table, dict):
        raise CheckpointError(f"model table {path} must hold a JSON object of name -> URL, got {type(table).__name__}")
    return table


def get_external_models() -> dict[str, str]:
    """The ``open-mmlab://`` name -> URL (or path under :func:`mmengine_home`) table: ``open_mmlab.json`` there."""
    return _read_table("open_mmlab.json")


def get_mmcls_models() -> dict[str, str]:
    """The ``mmcls://`` name -> URL table: ``mmcls.json`` under :func:`mmengine_home`."""
    return _read_table("mmcls.json")


def get_deprecated_model_names() -> dict[str, str]:
    """Deprecated ``open-mmlab://`` names -> their new names: ``deprecated.json`` under :func:`mmengine_home`."""
    return _read_table("deprecated.json")


def _lookup(table: dict[str, str], name: str, uri: str, table_file: str) -> str:
    if name not in table:
        raise KeyError(
            f"{uri}: no model named {name!r} in {osp.join(mmengine_home(), table_file)} (mme ships no OpenMMLab "
            f"model table; add {{{name!r}: url}} to that file, or load the URL directly)")
    return table[name]


@CheckpointLoader.register_scheme(prefixes=("torchvision://", "modelzoo://"))
def load_from_torchvision(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load torchvision's pretrained weights: ``torchvision://resnet50`` or ``torchvision://ResNet50_Weights.IMAGENET1K_V2``.

    A bare model name means its ``IMAGENET1K_V1`` weights (what torchvision's ``pretrained=True`` gave).
    """
    urls = get_torchvision_models()
    if filename.startswith("modelzoo://"):
        warnings.warn('The URL scheme of "modelzoo://" is deprecated, please use "torchvision://" instead',
                      DeprecationWarning, stacklevel=2)
        name = filename[len("modelzoo://"):]
    else:
        name = filename[len("torchvision://"):]
    name = name.lower().replace("_weights", "")
    if name not in urls:
        for suffix in (".imagenet1k_v1", ".default"):
            if name + suffix in urls:
                name += suffix
                break
        else:
            raise KeyError(f"{filename}: torchvision has no weights named {name!r}")
    return load_from_http(urls[name], map_location=map_location, weights_only=weights_only)


@CheckpointLoader.register_scheme(prefixes=("open-mmlab://", "openmmlab://"))
def load_from_openmmlab(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load an OpenMMLab model-zoo checkpoint by name (see the module docstring for the name table)."""
    prefix = "open-mmlab://" if filename.startswith("open-mmlab://") else "openmmlab://"
    name = filename[len(prefix):]
    deprecated = get_deprecated_model_names()
    if name in deprecated:
        warnings.warn(f"{prefix}{name} is deprecated in favor of {prefix}{deprecated[name]}", DeprecationWarning,
                      stacklevel=2)
        name = deprecated[name]
    url = _lookup(get_external_models(), name, filename, "open_mmlab.json")
    if url.startswith(("http://", "https://")):
        return load_from_http(url, map_location=map_location, weights_only=weights_only)
    path = osp.join(mmengine_home(), url)
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path} can not be found.")
    return load_from_local(path, map_location, weights_only=weights_only)


def _mmcls_backbone(checkpoint: dict) -> dict:
    state_dict = checkpoint.get("state_dict", checkpoint)
    return {"state_dict": OrderedDict((k[len("backbone."):], v) for k, v in state_dict.items()
                                      if k.startswith("backbone."))}


@CheckpointLoader.register_scheme(prefixes="mmcls://")
def load_from_mmcls(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load an MMClassification checkpoint by name and keep its backbone (``backbone.`` keys, prefix removed)."""
    name = filename[len("mmcls://"):]
    url = _lookup(get_mmcls_models(), name, filename, "mmcls.json")
    return _mmcls_backbone(load_from_http(url, map_location=map_location, weights_only=weights_only))


@CheckpointLoader.register_scheme(prefixes="pavi://")
def load_from_pavi(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load a checkpoint from PAVI's model cloud (``pavi://<model path>``).

    Raises:
        ImportError: pavi is not installed.
    """
    if not filename.startswith("pavi://"):
        raise ValueError(f"load_from_pavi expects a pavi:// URI, got {filename!r}")
    model_path = filename[len("pavi://"):]
    try:
        from pavi import modelcloud
    except ImportError as exc:
        raise ImportError("pavi:// checkpoints need pavi (Sensetime's PAVI client): pip install pavi") from exc
    import tempfile

    model = modelcloud.get(model_path)
    with tempfile.TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return load_from_local(downloaded, map_location, weights_only=weights_only)


@CheckpointLoader.register_scheme(prefixes=(r"(\S+\:)?petrel://", r"\S+\:s3://"))
def load_from_ceph(filename: str, map_location: Any = None, backend: str = "petrel",
                   weights_only: bool = True) -> Any:
    """Load a checkpoint through Sensetime's petrel client (``petrel://``, ``cluster:s3://``).

    Raises:
        ImportError: petrel_client is not installed.
        ValueError: ``backend`` is not ``'petrel'``.
    """
    if backend != "petrel":
        raise ValueError(f"load_from_ceph supports backend='petrel' only, got {backend!r}")
    data = fileio.PetrelBackend().get(filename)
    return _torch_load_bytes(data, filename, map_location, weights_only)


@CheckpointLoader.register_scheme(prefixes="s3://")
def load_from_s3(filename: str, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load a checkpoint through mme.fileio's S3 backend (boto3), with mme's integrity checks."""
    from ._checkpoint import _load_checkpoint

    return _load_checkpoint(filename, map_location, weights_only=weights_only)


#: The loaders whose paths mme.runner.load_checkpoint reads through mme.fileio itself (with its
#: truncation and checksum checks and ``backend_args``) rather than through CheckpointLoader.
FILEIO_LOADERS = frozenset({load_from_local, load_from_http, load_from_s3})
