"""Running the parts of a transfer on a small thread pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

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
