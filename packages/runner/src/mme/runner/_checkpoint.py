"""Saving and loading checkpoints: atomic writes, ``weights_only`` loads, key-mismatch reports."""

from __future__ import annotations

import hashlib
import io
import logging
import os.path as osp
import pickle
import re
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

import mme.fileio as fileio
from mme.model import is_model_wrapper

from mme.strategy import load_state_dict

from ._errors import CheckpointError, IncompleteCheckpointError, UnsafeCheckpointError

__all__ = [
    "find_latest_checkpoint",
    "get_state_dict",
    "is_complete_checkpoint",
    "load_checkpoint",
    "load_state_dict",
    "save_checkpoint",
    "to_weights_only_safe",
    "weights_to_cpu",
]

logger = logging.getLogger(__name__)

_CKPT_NAME = re.compile(r"^(?:epoch|iter)_(\d+)\.pth$")
#: The file of a sharded checkpoint directory written last: the directory is complete when it is.
SHARDED_EXTRAS = "extras.pth"


def get_state_dict(module: nn.Module) -> dict[str, Any]:
    """The module's ``state_dict``, unwrapping DDP and other model wrappers first."""
    inner: Any = module.module if is_model_wrapper(module) else module
    return inner.state_dict()


def weights_to_cpu(state_dict: Mapping[str, Any]) -> OrderedDict:
    """Copy of ``state_dict`` with every tensor on the CPU."""
    return OrderedDict((k, v.detach().cpu() if isinstance(v, torch.Tensor) else v) for k, v in state_dict.items())


def to_weights_only_safe(obj: Any, where: str = "checkpoint") -> Any:
    """Convert ``obj`` to types that ``torch.load(weights_only=True)`` accepts.

    numpy scalars become Python numbers and numpy arrays tensors; mappings become dicts (ordered
    and counter dicts are kept). Anything else that is not a tensor, a number, a string, bytes,
    ``None``, a list, a tuple or a set raises :class:`CheckpointError` naming where it was found.
    """
    if obj is None or type(obj) in (bool, int, float, complex, str, bytes) or isinstance(
            obj, (torch.Tensor, torch.dtype, torch.Size, torch.device)):
        return obj
    # subclasses (TorchVersion, IntEnum...) are not weights_only-safe: convert to the base type
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bytes):
        return bytes(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, Mapping):
        items = [(k, to_weights_only_safe(v, f"{where}[{k!r}]")) for k, v in obj.items()]
        if isinstance(obj, Counter):
            return Counter(dict(items))
        if isinstance(obj, OrderedDict):
            return OrderedDict(items)
        return dict(items)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(to_weights_only_safe(v, f"{where}[{i}]") for i, v in enumerate(obj))
    if isinstance(obj, (list, tuple)):
        return [to_weights_only_safe(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        return {to_weights_only_safe(v, where) for v in obj}
    raise CheckpointError(
        f"{where} holds a {type(obj).__module__}.{type(obj).__qualname__}, which checkpoints loaded with "
        f"weights_only=True cannot contain; store plain numbers, strings, lists, dicts or tensors instead")


def save_checkpoint(checkpoint: Mapping[str, Any], filename: str, backend_args: dict | None = None) -> None:
    """Serialize ``checkpoint`` and write it to ``filename`` (any mme.fileio URI) atomically."""
    safe = to_weights_only_safe(checkpoint)
    buffer = io.BytesIO()
    torch.save(safe, buffer)
    fileio.put(buffer.getvalue(), filename, backend_args=backend_args)


def publish_checkpoint(filename: str, keys: Sequence[str], backend_args: dict | None = None) -> str:
    """Write a copy of checkpoint ``filename`` holding only ``keys``, named ``<stem>-<sha256[:8]>.pth``.

    The hash is that of the published file's bytes, the convention ``torch.hub`` checks with
    ``check_hash=True``. Returns the published file's path (next to ``filename``).

    Raises:
        CheckpointError: A key is not in the checkpoint (the message lists those that are).
    """
    checkpoint = _load_checkpoint(filename, map_location="cpu", backend_args=backend_args)
    missing = [k for k in keys if k not in checkpoint]
    if missing:
        raise CheckpointError(f"cannot publish {filename}: it has no {missing}; its keys are {sorted(checkpoint)}")
    buffer = io.BytesIO()
    torch.save({k: checkpoint[k] for k in keys}, buffer)
    data = buffer.getvalue()
    published = f"{osp.splitext(filename)[0]}-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    fileio.put(data, published, backend_args=backend_args)
    return published


def _local_is_complete(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):  # NotImplemented: a damaged version
            return False
        return any(n.endswith("data.pkl") for n in names)
    return head.startswith(b"\x80")  # legacy (non-zip) torch format: only loading can tell


def is_complete_checkpoint(filename: str, backend_args: dict | None = None) -> bool:
    """Whether ``filename`` exists and is a complete (not truncated) torch checkpoint file.

    A sharded checkpoint (a local directory) is complete when its ``extras.pth`` is.
    """
    if osp.isdir(filename):
        return _local_is_complete(osp.join(filename, SHARDED_EXTRAS))
    try:
        if not fileio.exists(filename, backend_args=backend_args):
            return False
        with fileio.get_local_path(filename, backend_args=backend_args) as local:
            return _local_is_complete(str(local))
    except (OSError, ValueError, KeyError):
        return False


def _load_checkpoint(filename: str, map_location: Any = None, weights_only: bool = True,
                     backend_args: dict | None = None) -> dict:
    """Read a checkpoint file into a dict, refusing incomplete or corrupt files and (by default) unsafe pickles.

    Each member of a zip-format checkpoint is checked against its CRC-32 (``mme.fileio.ZipCheck``,
    on other threads while torch reads the file; a remote file is checked in the local copy it
    is loaded from). Checkpoints without checksums (torch's legacy non-zip format, or saved
    after ``torch.serialization.set_crc32_options(False)``) load unchecked.
    """
    if backend_args is None:
        # a scheme of CheckpointLoader's (torchvision://, open-mmlab://, a registered one, ...):
        # its loader; local paths, http(s):// and s3:// are read through mme.fileio below
        from ._checkpoint_loader import FILEIO_LOADERS, CheckpointLoader

        loader = CheckpointLoader._get_checkpoint_loader(str(filename))
        if loader not in FILEIO_LOADERS:
            checkpoint = CheckpointLoader.load_checkpoint(filename, map_location, logger=logger,
                                                          weights_only=weights_only)
            if not isinstance(checkpoint, dict):
                raise CheckpointError(f"checkpoint {filename} holds a {type(checkpoint).__name__}, expected a dict")
            return checkpoint
    if not fileio.exists(filename, backend_args=backend_args):
        raise CheckpointError(f"checkpoint {filename} does not exist")
    with fileio.get_local_path(filename, backend_args=backend_args) as local:
        local = str(local)
        if not _local_is_complete(local):
            raise IncompleteCheckpointError(
                f"checkpoint {filename} is truncated or corrupt (not a complete torch checkpoint); "
                f"it was probably written by a process that was killed")
        try:
            with fileio.ZipCheck(local, name=filename) as crc_check:
                try:
                    checkpoint = torch.load(local, map_location=map_location, weights_only=weights_only)
                except Exception as e:
                    # damaged bytes explain a failed load best: wait() raises CorruptFileError for them
                    raise _load_error(filename, e, weights_only, verified=crc_check.wait()) from e
                if not crc_check.wait():
                    logger.debug("checkpoint %s has no checksums (torch's legacy non-zip format, or saved after "
                                 "torch.serialization.set_crc32_options(False)): loaded without a checksum check",
                                 filename)
        except fileio.CorruptFileError as e:
            raise IncompleteCheckpointError(
                f"checkpoint {e}; it was damaged after it was written (disk, copy or transfer): use another "
                f"copy or an earlier checkpoint") from e
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"checkpoint {filename} holds a {type(checkpoint).__name__}, expected a dict")
    return checkpoint


# what torch's weights_only unpickler says when it refuses an object (rather than bytes it cannot parse)
_REFUSALS = ("GLOBAL", "allowlist", "unrecognized function")


def _load_error(filename: str, exc: Exception, weights_only: bool, verified: bool) -> CheckpointError:
    """The error for a ``torch.load`` of ``filename`` that raised ``exc``.

    ``verified``: every member matched its checksum and the zip's headers passed ZipCheck, so
    the failure is most likely not damage (a ``map_location`` or class that is not there, a zip
    that is not torch's); it is reported with torch's message. Without checksums (the legacy
    format) bytes torch cannot parse are taken for damage.
    """
    if isinstance(exc, pickle.UnpicklingError):
        # torch wraps the unpickler's reason in paragraphs of advice: keep the reason
        text = str(exc)
        reason = text.split("WeightsUnpickler error:", 1)[-1].split("Check the documentation", 1)[0]
        reason = next((ln.strip() for ln in reason.splitlines() if ln.strip()), type(exc).__name__)[:300]
        if weights_only and any(marker in reason for marker in _REFUSALS):
            return UnsafeCheckpointError(
                f"checkpoint {filename} contains pickled objects that weights_only loading refuses "
                f"({reason}); if you trust the file, load it with weights_only=False")
    elif isinstance(exc, MemoryError):
        reason = "MemoryError: a size recorded in the file is damaged, or the checkpoint does not fit in memory"
    else:
        reason = f"{type(exc).__name__}: {exc}"[:300]
    if verified:
        return CheckpointError(f"checkpoint {filename} cannot be loaded: {reason}")
    return IncompleteCheckpointError(
        f"checkpoint {filename} is truncated or corrupt ({reason}); it has no checksums to tell damage from other "
        f"faults: use another copy or an earlier checkpoint")


def _revise(state_dict: Mapping[str, Any], revise_keys: Sequence[tuple[str, str]]) -> OrderedDict:
    out = OrderedDict(state_dict)
    for pattern, replacement in revise_keys:
        out = OrderedDict((re.sub(pattern, replacement, k), v) for k, v in out.items())
    return out


def load_checkpoint(model: nn.Module, filename: str, map_location: Any = None, strict: bool = False,
                    logger: Any = None, revise_keys: Sequence[tuple[str, str]] = ((r"^module\.", ""),),
                    weights_only: bool = True, backend_args: dict | None = None) -> dict:
    """Load a checkpoint file's weights into ``model`` and return the checkpoint dict.

    Args:
        model: The module to load into (wrappers are unwrapped).
        filename: Local path or any mme.fileio URI.
        map_location: Where to put the tensors (``torch.load``'s argument).
        strict: Raise on missing, unexpected or mis-shaped keys instead of warning.
        revise_keys: ``(pattern, replacement)`` regex pairs applied to the keys; the default strips
            a ``module.`` prefix left by DDP.
        weights_only: Load with ``torch.load(weights_only=True)`` (the default). Pass ``False``
            only for trusted legacy files that pickle arbitrary objects.
        backend_args: Arguments of the file backend.
    """
    checkpoint = _load_checkpoint(filename, map_location, weights_only=weights_only, backend_args=backend_args)
    state_dict = checkpoint.get("state_dict", checkpoint)
    load_state_dict(model, _revise(state_dict, revise_keys), strict=strict, logger=logger)
    return checkpoint


def _step_of(path: str) -> int:
    match = _CKPT_NAME.match(osp.basename(path))
    return int(match.group(1)) if match else -1


def find_latest_checkpoint(work_dir: str, backend_args: dict | None = None, logger: Any = None) -> str | None:
    """Path of the newest complete checkpoint of a run, or ``None`` when the run has none yet.

    The ``last_checkpoint`` file in ``work_dir`` names it. Without that file, the
    ``epoch_N.pth``/``iter_N.pth`` files in ``work_dir`` are tried from the highest ``N`` down.
    When the file names a checkpoint that is missing or incomplete, the same search runs next
    to the named file and in ``work_dir``, and falling back to what it finds is logged as a
    warning; if it finds nothing, that is an error rather than ``None`` (which would start the
    run over). An incomplete file is never returned.

    Args:
        work_dir: The run's work directory (holding ``last_checkpoint``).
        backend_args: Arguments of the file backend the checkpoints are on.
        logger: Where to log the fallback warnings (e.g. the Runner's logger, which writes the
            run's log file); this module's logger by default.

    Raises:
        CheckpointError: ``last_checkpoint`` names a missing or incomplete checkpoint and no
            other complete one exists. The message names both files.
    """
    log = logger if logger is not None else globals()["logger"]
    pointer = osp.join(work_dir, "last_checkpoint")
    dirs = [work_dir]
    target = ""
    if osp.exists(pointer):
        with open(pointer, encoding="utf-8") as f:
            target = f.read().strip()
        if target:
            if is_complete_checkpoint(target, backend_args):
                return target
            parent = target.rsplit("/", 1)[0] if "/" in target else work_dir
            dirs.insert(0, parent)
    candidates: list[str] = []
    for directory in dict.fromkeys(dirs):
        try:
            names = list(fileio.list_dir_or_file(directory, list_dir=False, suffix=".pth", backend_args=backend_args))
            if osp.isdir(directory):  # sharded checkpoints are local directories named like the files
                names += list(fileio.list_dir_or_file(directory, list_file=False, backend_args=backend_args))
        except (OSError, ValueError, KeyError):
            continue
        candidates += [fileio.join_path(directory, n, backend_args=backend_args) for n in names if _CKPT_NAME.match(n)]
    found = None
    for path in sorted(set(candidates), key=_step_of, reverse=True):
        if is_complete_checkpoint(path, backend_args):
            found = path
            break
        log.warning("skipping incomplete checkpoint %s", path)
    if target and found is None:
        raise CheckpointError(
            f"{pointer} names the checkpoint {target}, which {_why_unusable(target, backend_args)}, and no other "
            f"complete checkpoint was found in {' or '.join(dict.fromkeys(dirs))}; restore that file, or delete "
            f"{pointer} to start the run from scratch")
    if target:
        log.warning("%s names the checkpoint %s, which %s; falling back to %s, the newest complete checkpoint "
                    "found", pointer, target, _why_unusable(target, backend_args), found)
    return found


def _why_unusable(path: str, backend_args: dict | None) -> str:
    try:
        exists = fileio.exists(path, backend_args=backend_args)
    except (OSError, ValueError, KeyError):
        exists = False
    return "is incomplete (truncated or corrupt)" if exists else "does not exist"
