"""Running the parts of a transfer on a small thread pool, and reading/writing a file at offsets."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import BinaryIO, TypeVar

from ._errors import StorageError

T = TypeVar("T")


def run_parts(fn: Callable[[T], None], items: Iterable[T], concurrency: int) -> None:
    """Call ``fn(item)`` for every item, ``concurrency`` at a time; re-raise the first failure.

    After a failure no new part starts; parts already running finish before the error is
    raised, so the caller can clean up (abort a multipart upload) knowing nothing is in flight.
    """
    items = list(items)
    if concurrency <= 1 or len(items) <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items)), thread_name_prefix="mme-fileio") as pool:
        futures = [pool.submit(fn, item) for item in items]
        _done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]


class PositionalFile:
    """Reads and writes an open file at given offsets, from several threads at once.

    POSIX has ``os.pread``/``os.pwrite``, which leave the file position alone, so parts of a
    transfer read or write in parallel. Where they are missing (Windows), each access takes a
    lock around ``seek`` plus ``read``/``write`` on the one handle: parts then take turns at the
    disk, which is still far faster than the network they wait on.

    Args:
        file: A binary file object, open for reading or writing (unbuffered is best for reading).
        name: How errors name the file.
    """

    def __init__(self, file: BinaryIO, name: str) -> None:
        self._file = file
        self._fd = file.fileno()
        self._name = name
        self._positional = hasattr(os, "pread") and hasattr(os, "pwrite")
        self._lock = threading.Lock()

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes from ``offset``; the file must hold them."""
        chunks = []
        want = size
        while want:
            if self._positional:
                chunk = os.pread(self._fd, want, offset)
            else:
                with self._lock:
                    self._file.seek(offset)
                    chunk = self._file.read(want)
            if not chunk:
                raise StorageError(f"{self._name} ended at {offset} bytes, before the {size} bytes asked for: "
                                   f"did it change during the transfer?")
            chunks.append(chunk)
            offset += len(chunk)
            want -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def write(self, offset: int, data: bytes | memoryview) -> None:
        """Write all of ``data`` at ``offset``."""
        view = memoryview(data)
        if not self._positional:
            with self._lock:
                self._file.seek(offset)
                self._file.write(view)
            return
        while view:
            written = os.pwrite(self._fd, view, offset)
            view = view[written:]
            offset += written
