"""Retries with backoff for object-store calls, and translation of S3 errors.

Transient failures (throttling, 5xx, dropped connections, truncated bodies) are retried with
exponential backoff and full jitter. A missing object or bucket and a refused permission are
raised at once, as :class:`ObjectNotFoundError` / :class:`StoragePermissionError` naming the
URI. Only the error code and the server's message are quoted, never request parameters, so no
credential can reach a message or a log line.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from ._errors import (
    ObjectNotFoundError,
    StorageError,
    StoragePermissionError,
    StorageUnavailableError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
    }
)
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404", "NoSuchUpload", "NoSuchVersion"})
PERMISSION_CODES = frozenset(
    {
        "AccessDenied",
        "403",
        "Forbidden",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "AccountProblem",
        "InvalidObjectState",
    }
)


def client_error_info(exc: BaseException) -> tuple[str, int, str] | None:
    """``(code, http status, message)`` of a botocore ``ClientError``, else None."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return None
    err = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0
    return str(err.get("Code", "")), int(status), str(err.get("Message", ""))


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the call that raised ``exc`` may succeed."""
    info = client_error_info(exc)
    if info is not None:
        code, status, _ = info
        return code in THROTTLE_CODES or status >= 500 or status in (408, 429)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        from botocore import exceptions as bce  # only reached once boto3 is in use
    except ImportError:  # pragma: no cover - fsspec-only installs
        return False
    transient = (
        bce.ConnectionError,
        bce.HTTPClientError,
        bce.IncompleteReadError,
        getattr(bce, "ResponseStreamingError", bce.HTTPClientError),
        getattr(bce, "FlexibleChecksumError", bce.ChecksumError),
        bce.ChecksumError,
    )
    return isinstance(exc, transient)  # botocore wraps urllib3's errors in these


def translate(exc: BaseException, op: str, uri: str, attempts: int = 1) -> BaseException:
    """Return the mme exception to raise (``from exc``) for a failed call on ``uri``."""
    info = client_error_info(exc)
    if info is None:
        if is_transient(exc):
            return StorageUnavailableError(
                f"{op} {uri}: still failing after {attempts} attempts ({type(exc).__name__})"
            )
        return exc
    code, status, message = info
    detail = f"{code}: {message}" if message else code
    if code == "NoSuchBucket":
        bucket = uri[len("s3://") :].split("/", 1)[0] if uri.startswith("s3://") else uri
        return ObjectNotFoundError(f"{op} {uri}: bucket {bucket!r} does not exist")
    if code in NOT_FOUND_CODES or status == 404:
        return ObjectNotFoundError(f"{op} {uri}: no such object ({detail})")
    if code in PERMISSION_CODES or status == 403:
        return StoragePermissionError(f"{op} {uri}: permission denied ({detail})")
    if is_transient(exc):
        return StorageUnavailableError(f"{op} {uri}: still failing after {attempts} attempts ({detail})")
    return StorageError(f"{op} {uri}: {detail} (HTTP {status})")


class RetryPolicy:
    """How often and how long to retry transient failures.

    Args:
        max_attempts: Attempts per call, the first included.
        backoff_base: Seconds; attempt ``n`` waits up to ``backoff_base * 2**n``.
        backoff_max: Upper bound of one wait, in seconds.
    """

    def __init__(self, max_attempts: int = 8, backoff_base: float = 0.05, backoff_max: float = 2.0) -> None:
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        if backoff_base < 0 or backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must be >= 0")
        self.max_attempts = max_attempts
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with full jitter."""
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))

    def call(self, op: str, uri: str, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying transient failures; raise the translated error otherwise."""
        attempt = 1
        while True:
            try:
                return fn()
            except Exception as exc:
                if attempt < self.max_attempts and is_transient(exc):
                    wait = self.delay(attempt)
                    logger.debug("%s %s failed (%s), retry %d in %.2fs", op, uri, type(exc).__name__, attempt, wait)
                    time.sleep(wait)
                    attempt += 1
                    continue
                err = translate(exc, op, uri, attempt)
                if err is exc:
                    raise
                raise err from exc
