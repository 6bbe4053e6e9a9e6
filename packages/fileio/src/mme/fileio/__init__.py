"""mme.fileio: one file interface over local disk, S3 and every fsspec backend.

A path picks its backend by URI prefix (longest registered prefix wins): plain paths and
``file://`` go to :class:`LocalBackend`, ``s3://`` to :class:`S3Backend` (boto3, imported at
first use), ``http(s)://`` to :class:`HTTPBackend` and any other fsspec protocol to
:class:`FsspecBackend`. Writes are atomic. ``backend_args`` selects or configures a backend.
"""

from __future__ import annotations

from ._backend import BaseStorageBackend
from ._errors import (
    BackendRegistrationError,
    CorruptFileError,
    InvalidURIError,
    ObjectNotFoundError,
    StorageError,
    StoragePermissionError,
    StorageUnavailableError,
    UnknownBackendError,
    UnsupportedFormatError,
    UnsupportedOperationError,
)
from ._file_client import FileClient
from ._fsspec import FsspecBackend, HTTPBackend
from ._handlers import (
    BaseFileHandler,
    JsonHandler,
    PickleHandler,
    YamlHandler,
    file_handlers,
    register_handler,
)
from ._io import (
    copy_if_symlink_fails,
    copyfile,
    copyfile_from_local,
    copyfile_to_local,
    copytree,
    copytree_from_local,
    copytree_to_local,
    exists,
    generate_presigned_url,
    get,
    get_local_path,
    get_text,
    isdir,
    isfile,
    join_path,
    list_dir_or_file,
    put,
    put_text,
    remove,
    remove_temp_files,
    rmtree,
)
from ._load_dump import dict_from_file, dump, list_from_file, load
from ._local import LocalBackend, atomic_write, replace_dir, temp_sibling
from ._optional_backends import LmdbBackend, MemcachedBackend, PetrelBackend
from ._registry import (
    get_file_backend,
    register_backend,
    registered_backends,
    registered_prefixes,
)
from ._s3 import S3Backend
from ._zipcheck import ZipCheck, verify_zip
from .version import __version__

__all__ = [
    "BackendRegistrationError",
    "BaseFileHandler",
    "BaseStorageBackend",
    "CorruptFileError",
    "FileClient",
    "FsspecBackend",
    "HTTPBackend",
    "InvalidURIError",
    "JsonHandler",
    "LmdbBackend",
    "LocalBackend",
    "MemcachedBackend",
    "ObjectNotFoundError",
    "PetrelBackend",
    "PickleHandler",
    "S3Backend",
    "StorageError",
    "StoragePermissionError",
    "StorageUnavailableError",
    "UnknownBackendError",
    "UnsupportedFormatError",
    "UnsupportedOperationError",
    "YamlHandler",
    "ZipCheck",
    "__version__",
    "atomic_write",
    "copy_if_symlink_fails",
    "copyfile",
    "copyfile_from_local",
    "copyfile_to_local",
    "copytree",
    "copytree_from_local",
    "copytree_to_local",
    "dict_from_file",
    "dump",
    "exists",
    "file_handlers",
    "generate_presigned_url",
    "get",
    "get_file_backend",
    "get_local_path",
    "get_text",
    "isdir",
    "isfile",
    "join_path",
    "list_dir_or_file",
    "list_from_file",
    "load",
    "put",
    "put_text",
    "register_backend",
    "register_handler",
    "registered_backends",
    "registered_prefixes",
    "remove",
    "remove_temp_files",
    "replace_dir",
    "rmtree",
    "temp_sibling",
    "verify_zip",
]
