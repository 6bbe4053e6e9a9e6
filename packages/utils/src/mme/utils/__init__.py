"""Base helpers of mme: managed global instances, type, sequence and import helpers, paths, installed
packages, versions, timers and progress bars.

Standard library only; rich is used for progress bars when it is installed.
"""

from __future__ import annotations

from ._deprecation import deprecated_api_warning, deprecated_function
from ._manager import ManagerMeta, ManagerMixin
from ._misc import (
    get_object_from_string,
    has_method,
    import_modules_from_strings,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
)
from ._package_utils import call_command, get_installed_path, install_package, is_installed, package2module
from ._path import check_file_exist, find_vcs_root, fopen, is_abs, is_filepath, mkdir_or_exist, scandir, symlink
from ._prerequisites import check_prerequisites, requires_executable, requires_package
from ._progress import ProgressBar, init_pool, track_iter_progress, track_parallel_progress, track_progress
from ._progress_rich import track_progress_rich
from ._sequences import (
    apply_to,
    concat_list,
    iter_cast,
    list_cast,
    slice_list,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
    tuple_cast,
)
from ._timer import Timer, TimerError, check_time
from ._version_utils import digit_version, get_git_hash
from .version import __version__

__all__ = [
    "ManagerMeta",
    "ManagerMixin",
    "ProgressBar",
    "Timer",
    "TimerError",
    "__version__",
    "apply_to",
    "call_command",
    "check_file_exist",
    "check_prerequisites",
    "check_time",
    "concat_list",
    "deprecated_api_warning",
    "deprecated_function",
    "digit_version",
    "find_vcs_root",
    "fopen",
    "get_git_hash",
    "get_installed_path",
    "get_object_from_string",
    "has_method",
    "import_modules_from_strings",
    "init_pool",
    "install_package",
    "is_abs",
    "is_filepath",
    "is_installed",
    "is_list_of",
    "is_method_overridden",
    "is_seq_of",
    "is_str",
    "is_tuple_of",
    "iter_cast",
    "list_cast",
    "mkdir_or_exist",
    "package2module",
    "requires_executable",
    "requires_package",
    "scandir",
    "slice_list",
    "symlink",
    "to_1tuple",
    "to_2tuple",
    "to_3tuple",
    "to_4tuple",
    "to_ntuple",
    "track_iter_progress",
    "track_parallel_progress",
    "track_progress",
    "track_progress_rich",
    "tuple_cast",
]
