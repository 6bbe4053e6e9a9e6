"""set_multi_processing: the process start method, OpenCV threads and OMP/MKL threads for training."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import platform

logger = logging.getLogger(__name__)

_START_METHODS = ("fork", "spawn", "forkserver")


def set_multi_processing(mp_start_method: str = "fork", opencv_num_threads: int = 0, distributed: bool = False) -> None:
    """Prepare this process for multi-process data loading and training.

    - Sets the ``multiprocessing`` start method (not on Windows, which only has ``spawn``),
      logging a warning when that replaces a method already chosen.
    - Sets OpenCV's thread count when OpenCV is installed (0 turns its own threading off so
      dataloader workers do not oversubscribe the CPUs).
    - When ``distributed``, sets ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` to 1 unless the
      user has set them, logging that it did.

    Args:
        mp_start_method: ``'fork'``, ``'spawn'`` or ``'forkserver'``.
        opencv_num_threads: Threads for OpenCV.
        distributed: Whether this is one process of a distributed run.
    """
    if mp_start_method not in _START_METHODS:
        raise ValueError(f"mp_start_method must be one of {_START_METHODS}, but got {mp_start_method!r}")
    if platform.system() != "Windows":
        current = mp.get_start_method(allow_none=True)
        if current != mp_start_method:
            if current is not None:
                logger.warning(
                    "multiprocessing start method is %r; setting it to %r. Pass mp_start_method=%r to keep it.",
                    current, mp_start_method, current,
                )
            mp.set_start_method(mp_start_method, force=True)
    try:
        import cv2
    except ImportError:
        pass
    else:
        cv2.setNumThreads(opencv_num_threads)
    if distributed:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            if var not in os.environ:
                os.environ[var] = "1"
                logger.warning(
                    "%s is not set: setting it to 1 for each process so they do not overload the machine; "
                    "tune it for your application.", var,
                )
