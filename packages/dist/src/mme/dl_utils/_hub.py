"""load_url: download a checkpoint once into a cache directory and load it."""

from __future__ import annotations

import logging
import os
import re
import zipfile
from typing import Any
from urllib.parse import urlparse

import torch

from ._errors import DLUtilsValueError

logger = logging.getLogger(__name__)

# torch.hub's convention: "name-<sha256 prefix>.ext" carries a prefix of the file's SHA-256
_HASH_RE = re.compile(r"-([a-f0-9]*)\.")


def _default_model_dir() -> str:
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def _legacy_zip_member(path: str) -> str | None:
    """The one file inside a checkpoint zipped as a whole (torch < 1.6 model zoos), else None.

    torch.save's own format is a zip too, but of several entries under one folder.
    """
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) == 1 and not infos[0].is_dir():
            return infos[0].filename
    return None


def load_url(
    url: str,
    model_dir: str | None = None,
    map_location: Any = None,
    progress: bool = True,
    check_hash: bool = False,
    file_name: str | None = None,
    weights_only: bool = True,
) -> Any:
    """Load the checkpoint at ``url``, downloading it into ``model_dir`` the first time.

    The file is fetched with ``urllib`` (``http(s)://``, ``file://``, ...) into a temporary
    name and renamed once complete, so an interrupted download never leaves a truncated
    cache entry. Later calls read the cached file.

    Args:
        url: Where the checkpoint is.
        model_dir: Cache directory; ``<torch hub dir>/checkpoints`` by default
            (``$TORCH_HOME/hub/checkpoints``).
        map_location: Passed to ``torch.load``.
        progress: Show a download progress bar on stderr.
        check_hash: Check the download against the SHA-256 prefix in its file name
            (``name-<hash>.ext``, torch.hub's convention).
        file_name: Name of the cached file; the last part of the URL's path by default.
        weights_only: Passed to ``torch.load``. True by default (MMEngine loads whole pickles),
            so a checkpoint cannot run code; pass False for a trusted one holding other objects.

    Returns:
        What ``torch.load`` returns (usually a state dict).
    """
    if model_dir is None:
        model_dir = _default_model_dir()
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urlparse(url).path)
    if not filename:
        raise DLUtilsValueError(f"cannot name the cached file after {url!r}: pass file_name")
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = _HASH_RE.search(filename)
            if match is None or not match.group(1):
                raise DLUtilsValueError(
                    f"check_hash=True needs a file name of the form name-<sha256 prefix>.ext, but got {filename!r}"
                )
            hash_prefix = match.group(1)
        logger.info("Downloading %s to %s", url, cached_file)
        torch.hub.download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    member = _legacy_zip_member(cached_file)
    if member is not None:
        extracted = os.path.join(model_dir, member)
        if not os.path.exists(extracted):
            with zipfile.ZipFile(cached_file) as zf:
                zf.extract(member, model_dir)
        cached_file = extracted
    return torch.load(cached_file, map_location=map_location, weights_only=weights_only)
