"""Base helpers of mme: managed global instances, type and import helpers, timers, progress bars.

Standard library only; rich is used for progress bars when it is installed.
"""

from __future__ import annotations

from ._manager import ManagerMeta, ManagerMixin
from ._misc import (
    deprecated_api_warning,
    get_object_from_string,
    import_modules_from_strings,
    is_installed,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    requires_package,
)
from ._path import check_file_exist, mkdir_or_exist, scandir
from ._progress import ProgressBar, track_iter_progress, track_parallel_progress, track_progress
from ._timer import Timer, TimerError, check_time
from ._version_utils import digit_version
from .version import __version__

__all__ = [
    "ManagerMeta",
    "ManagerMixin",
    "ProgressBar",
    "Timer",
    "TimerError",
    "__version__",
    "check_file_exist",
    "check_time",
    "deprecated_api_warning",
    "digit_version",
    "get_object_from_string",
    "import_modules_from_strings",
    "is_installed",
    "is_list_of",
    "is_method_overridden",
    "is_seq_of",
    "is_str",
    "is_tuple_of",
    "mkdir_or_exist",
    "requires_package",
    "scandir",
    "track_iter_progress",
    "track_parallel_progress",
    "track_progress",
]
