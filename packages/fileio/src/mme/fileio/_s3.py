"""The ``s3://`` backend, on boto3 (extra ``mme-fileio[s3]``), imported at first use."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ._backend import BaseStorageBackend
from ._errors import InvalidURIError, StorageError
from ._local import atomic_write
from ._retry import RetryPolicy, client_error_info
from ._transfer import PositionalFile, run_parts

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
MIN_PART = 5 * MiB
MAX_PARTS = 10_000
MAX_SINGLE_COPY = 5 * 1024**3
_CHECKSUM_KEYS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")


def _import_boto3() -> Any:
    try:
        import boto3
        import botocore.config
    except ImportError as exc:
        raise ImportError(
            "s3:// paths need boto3, which is not installed: pip install 'mme-fileio[s3]'"
        ) from exc
    return boto3, botocore.config


def split_s3_uri(path: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``."""
    if not path.startswith("s3://"):
        raise InvalidURIError(f"not an s3:// URI: {path!r}")
    bucket, _, key = path[len("s3://") :].partition("/")
    if not bucket:
        raise InvalidURIError(f"S3 URI has no bucket: {path!r}")
    return bucket, key


class S3Backend(BaseStorageBackend):
    """Amazon S3 and S3-compatible stores (MinIO, Ceph, moto, ...).

    Credentials, region and endpoint come from the arguments or, where omitted, from the
    standard AWS sources (``AWS_*`` environment variables, ``~/.aws/config`` and
    ``~/.aws/credentials``, instance roles). Objects of ``multipart_threshold`` bytes or more
    move in ``multipart_chunksize`` parts, ``max_concurrency`` at a time; downloads fetch
    byte ranges in parallel. An object appears only complete: a single PUT or a completed
    multipart upload, aborted on failure. Transient errors are retried (``max_attempts``).

    Args:
        path_mapping: See :class:`BaseStorageBackend`.
        endpoint_url: S3 endpoint, for S3-compatible stores.
        region_name: AWS region.
        aws_access_key_id: Access key; never printed.
        aws_secret_access_key: Secret key; never printed.
        aws_session_token: Session token; never printed.
        profile_name: Profile of the AWS config files.
        addressing_style: ``"path"``, ``"virtual"`` or ``"auto"``.
        verify: TLS verification (bool or a CA bundle path).
        max_attempts: Attempts per request on transient errors.
        backoff_base: First backoff step in seconds (doubles each retry, with jitter).
        backoff_max: Longest single backoff in seconds.
        multipart_threshold: Size from which uploads and downloads are split.
        multipart_chunksize: Part size (at least 5 MiB, S3's minimum).
        max_concurrency: Parts in flight at once.
        connect_timeout: Seconds.
        read_timeout: Seconds.
        config_kwargs: Extra ``botocore.config.Config`` arguments.
        client_kwargs: Extra ``boto3`` client arguments.
    """

    name = "s3"

    def __init__(
        self,
        path_mapping: dict[str, str] | None = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        profile_name: str | None = None,
        addressing_style: str | None = None,
        verify: bool | str | None = None,
        max_attempts: int = 8,
        backoff_base: float = 0.05,
        backoff_max: float = 2.0,
        multipart_threshold: int = 16 * MiB,
        multipart_chunksize: int = 8 * MiB,
        max_concurrency: int = 10,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        config_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(path_mapping)
        if not isinstance(multipart_chunksize, int) or multipart_chunksize < MIN_PART:
            raise ValueError(f"multipart_chunksize must be an int >= {MIN_PART} (5 MiB), got {multipart_chunksize!r}")
        if not isinstance(multipart_threshold, int) or multipart_threshold < 1:
            raise ValueError(f"multipart_threshold must be a positive int, got {multipart_threshold!r}")
        if not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be a positive int, got {max_concurrency!r}")
        if addressing_style not in (None, "path", "virtual", "auto"):
            raise ValueError(f"addressing_style must be 'path', 'virtual' or 'auto', got {addressing_style!r}")
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self._session_kwargs = {
            k: v
            for k, v in dict(
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
                profile_name=profile_name,
                region_name=region_name,
            ).items()
            if v is not None
        }
        self._addressing_style = addressing_style
        self._verify = verify
        self.retry = RetryPolicy(max_attempts, backoff_base, backoff_max)
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.max_concurrency = max_concurrency
        self.tree_concurrency = max_concurrency
        self._timeouts = (connect_timeout, read_timeout)
        self._config_kwargs = dict(config_kwargs or {})
        self._client_kwargs = dict(client_kwargs or {})
        self._client: Any = None
        self._client_pid = -1
        self._lock = threading.Lock()
        self.max_single_copy = MAX_SINGLE_COPY  # CopyObject's limit; larger copies go in parts

    # ------------------------------------------------------------------ client
    @property
    def client(self) -> Any:
        """The boto3 S3 client, created at first use (and again in a forked child)."""
        if self._client is None or self._client_pid != os.getpid():
            with self._lock:
                if self._client is None or self._client_pid != os.getpid():
                    self._client = self._make_client()
                    self._client_pid = os.getpid()
        return self._client

    def _make_client(self) -> Any:
        boto3, bconfig = _import_boto3()
        config = dict(
            retries={"total_max_attempts": 1},  # mme retries itself, see RetryPolicy
            max_pool_connections=max(10, self.max_concurrency + 2),
            connect_timeout=self._timeouts[0],
            read_timeout=self._timeouts[1],
            tcp_keepalive=True,
        )
        if self._addressing_style:
            config["s3"] = {"addressing_style": self._addressing_style}
        config.update(self._config_kwargs)
        session = boto3.session.Session(**self._session_kwargs)
        kwargs = dict(self._client_kwargs)
        if self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        if self._verify is not None:
            kwargs.setdefault("verify", self._verify)
        return session.client("s3", config=bconfig.Config(**config), **kwargs)

    def _call(self, op: str, uri: str, fn: Callable[[], Any]) -> Any:
        return self.retry.call(op, uri, fn)

    # ------------------------------------------------------------------ primitives
    def _get(self, path: str) -> bytes:
        parts: dict[int, bytes] = {}

        def sink(offset: int, data: bytes) -> None:
            parts[offset] = data

        self._download(path, sink)
        if len(parts) == 1:
            return next(iter(parts.values()))
        return b"".join(parts[k] for k in sorted(parts))

    def _put(self, data: bytes, path: str) -> None:
        bucket, key = self._object(path)
        size = len(data)
        if size < self.multipart_threshold:
            self._call("put", path, lambda: self.client.put_object(Bucket=bucket, Key=key, Body=data))
            return
        view = memoryview(data)
        self._multipart_upload(path, size, lambda off, n: view[off : off + n].tobytes())

    def _isfile(self, path: str) -> bool:
        bucket, key = split_s3_uri(path)
        if not key or key.endswith("/"):
            return False
        try:
            self._call("isfile", path, lambda: self.client.head_object(Bucket=bucket, Key=key))
        except FileNotFoundError:
            return False
        return True

    def _isdir(self, path: str) -> bool:
        bucket, key = split_s3_uri(path)
        try:
            if not key.strip("/"):
                self._call("isdir", path, lambda: self.client.head_bucket(Bucket=bucket))
                return True
            prefix = key.rstrip("/") + "/"
            resp = self._call(
                "isdir", path, lambda: self.client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
            )
        except FileNotFoundError:
            return False
        return resp.get("KeyCount", len(resp.get("Contents", []))) > 0

    def _remove(self, path: str) -> None:
        bucket, key = self._object(path)
        self._call("remove", path, lambda: self.client.head_object(Bucket=bucket, Key=key))
        self._call("remove", path, lambda: self.client.delete_object(Bucket=bucket, Key=key))

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        bucket, prefix = self._prefix(path)
        entries = []
        for page in self._pages(path, bucket, prefix, "/"):
            for cp in page.get("CommonPrefixes", []):
                entries.append((cp["Prefix"][len(prefix) :].rstrip("/"), True))
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix) :]
                if name and not name.endswith("/"):
                    entries.append((name, False))
        return iter(entries)

    # ------------------------------------------------------------------ derived, faster
    def _list(self, path: str, list_dir: bool, list_file: bool, suffix, recursive: bool) -> Iterator[str]:
        if not recursive:
            return super()._list(path, list_dir, list_file, suffix, recursive)
        bucket, prefix = self._prefix(path)
        found: set[str] = set()
        for key in self._keys(path, bucket, prefix):
            rel = key[len(prefix) :]
            marker = rel.endswith("/")  # a zero-byte "directory" object
            parts = rel.rstrip("/").split("/")
            if not parts[0]:
                continue
            if list_dir:
                found.update("/".join(parts[:i]) for i in range(1, len(parts) + (1 if marker else 0)))
            if list_file and not marker and (suffix is None or rel.endswith(suffix)):
                found.add(rel)
        return iter(sorted(found, key=lambda r: r.split("/")))

    def _rmtree(self, path: str) -> None:
        bucket, prefix = self._prefix(path)
        keys = list(self._keys(path, bucket, prefix))
        for start in range(0, len(keys), 1000):
            batch = {"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
            resp = self._call("rmtree", path, functools.partial(self.client.delete_objects, Bucket=bucket, Delete=batch))
            if resp.get("Errors"):
                err = resp["Errors"][0]
                raise StorageError(
                    f"rmtree {path}: {len(resp['Errors'])} objects not deleted, "
                    f"first s3://{bucket}/{err.get('Key')}: {err.get('Code')}"
                )

    def _copyfile(self, src: str, dst: str) -> None:
        sb, sk = self._object(src)
        db, dk = self._object(dst)
        head = self._call("copyfile", src, lambda: self.client.head_object(Bucket=sb, Key=sk))
        size = int(head.get("ContentLength", 0))
        if size > self.max_single_copy:
            self._multipart_copy(src, dst, size)
            return
        source = {"Bucket": sb, "Key": sk}
        self._call("copyfile", src, lambda: self.client.copy_object(Bucket=db, Key=dk, CopySource=source))

    def _copyfile_from_local(self, src: str, dst: str) -> None:
        size = os.path.getsize(src)
        if size < self.multipart_threshold:
            with open(src, "rb") as f:
                self._put(f.read(), dst)
            return
        with open(src, "rb", buffering=0) as f:
            self._multipart_upload(dst, size, PositionalFile(f, src).read)

    def _copyfile_to_local(self, src: str, dst: str) -> None:
        def write(f) -> None:
            self._download(src, PositionalFile(f, dst).write)

        atomic_write(dst, write)

    def generate_presigned_url(self, url: str, client_method: str = "get_object", expires_in: int = 3600) -> str:
        """Return a presigned URL for ``client_method`` (e.g. ``get_object``) on ``url``."""
        bucket, key = self._object(self.map_path(url))
        return self.client.generate_presigned_url(
            ClientMethod=client_method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )

    # ------------------------------------------------------------------ transfers
    def _object(self, path: str) -> tuple[str, str]:
        bucket, key = split_s3_uri(path)
        if not key or key.endswith("/"):
            raise InvalidURIError(f"S3 URI names a bucket or directory, not an object: {path!r}")
        return bucket, key

    def _prefix(self, path: str) -> tuple[str, str]:
        bucket, key = split_s3_uri(path)
        key = key.strip("/")
        return bucket, key + "/" if key else ""

    def _pages(self, path: str, bucket: str, prefix: str, delimiter: str = "") -> Iterator[dict]:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        while True:
            page = self._call("list", path, functools.partial(self.client.list_objects_v2, **kwargs))
            yield page
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def _keys(self, path: str, bucket: str, prefix: str) -> Iterator[str]:
        for page in self._pages(path, bucket, prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"]

    def _download(self, path: str, sink: Callable[[int, bytes], None]) -> int:
        """Fetch an object into ``sink(offset, data)``: a first range, then the rest in parallel.

        The first request asks for ``multipart_threshold`` bytes, so a smaller object takes
        one request; the rest of a larger one comes in ``multipart_chunksize`` ranges,
        ``max_concurrency`` at a time, each pinned to the first answer's ETag.
        """
        bucket, key = self._object(path)
        chunk = self.multipart_chunksize
        head: dict[str, Any] = {}

        def first() -> bytes:  # objects under multipart_threshold arrive in this one request
            try:
                resp = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{self.multipart_threshold - 1}")
            except Exception as exc:
                info = client_error_info(exc)
                if info is None or info[0] != "InvalidRange":  # an empty object has no byte 0
                    raise
                resp = self.client.get_object(Bucket=bucket, Key=key)
            data = resp["Body"].read()
            head.update(resp)
            return data

        data = self._call("get", path, first)
        content_range = head.get("ContentRange") or ""
        total = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else len(data)
        sink(0, data)
        if total <= len(data):
            return total
        etag = head.get("ETag")

        def part(offset: int) -> None:
            end = min(offset + chunk, total) - 1

            def fetch() -> bytes:
                kwargs = {"Bucket": bucket, "Key": key, "Range": f"bytes={offset}-{end}"}
                if etag:
                    kwargs["IfMatch"] = etag
                return self.client.get_object(**kwargs)["Body"].read()

            body = self._call("get", path, fetch)
            if len(body) != end - offset + 1:
                raise StorageError(f"get {path}: short range read at {offset} ({len(body)} bytes)")
            sink(offset, body)

        run_parts(part, range(len(data), total, chunk), self.max_concurrency)
        return total

    def _multipart_upload(self, path: str, size: int, read: Callable[[int, int], bytes]) -> None:
        """Upload ``size`` bytes from ``read(offset, n)`` in parts."""
        bucket, key = self._object(path)

        def send(upload_id: str, number: int, offset: int, n: int) -> dict[str, Any]:
            body = read(offset, n)
            return self.client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)

        self._multipart(path, size, send)

    def _multipart_copy(self, src: str, dst: str, size: int) -> None:
        """Copy an object server-side in ranges (objects over 5 GiB need this)."""
        sb, sk = self._object(src)
        db, dk = self._object(dst)

        def send(upload_id: str, number: int, offset: int, n: int) -> dict[str, Any]:
            resp = self.client.upload_part_copy(
                Bucket=db,
                Key=dk,
                UploadId=upload_id,
                PartNumber=number,
                CopySource={"Bucket": sb, "Key": sk},
                CopySourceRange=f"bytes={offset}-{offset + n - 1}",
            )
            return resp["CopyPartResult"]

        self._multipart(dst, size, send)

    def _multipart(self, path: str, size: int, send: Callable[[str, int, int, int], dict[str, Any]]) -> None:
        """Run a multipart upload whose part ``number`` is ``send(upload_id, number, offset, n)``.

        The object appears when the upload completes; on any failure the upload is aborted so
        no parts are left behind.
        """
        bucket, key = self._object(path)
        chunk = max(self.multipart_chunksize, -(-size // MAX_PARTS))
        create_args: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if getattr(self.client.meta.config, "request_checksum_calculation", None) == "when_supported":
            create_args["ChecksumAlgorithm"] = "CRC32"
        upload_id = self._call("put", path, lambda: self.client.create_multipart_upload(**create_args))["UploadId"]
        parts: dict[int, dict[str, Any]] = {}
        try:

            def part(offset: int) -> None:
                number = offset // chunk + 1
                n = min(chunk, size - offset)
                resp = self._call("put", path, lambda: send(upload_id, number, offset, n))
                entry = {"PartNumber": number, "ETag": resp["ETag"]}
                entry.update({k: resp[k] for k in _CHECKSUM_KEYS if k in resp})
                parts[number] = entry

            run_parts(part, range(0, size, chunk), self.max_concurrency)
            self._complete(path, bucket, key, upload_id, [parts[n] for n in sorted(parts)], size)
        except BaseException:
            try:
                self._call(
                    "abort upload",
                    path,
                    lambda: self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id),
                )
            except Exception as exc:  # noqa: BLE001 - the original error matters more
                logger.warning("could not abort the multipart upload of %s: %s", path, exc)
            raise

    def _complete(self, path: str, bucket: str, key: str, upload_id: str, parts: list, size: int) -> None:
        tried = False

        def complete() -> Any:
            nonlocal tried
            try:
                return self.client.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            except Exception as exc:
                info = client_error_info(exc)
                if tried and info is not None and info[0] == "NoSuchUpload":
                    # An earlier attempt completed the upload but its answer was lost.
                    head = self.client.head_object(Bucket=bucket, Key=key)
                    if head.get("ContentLength") == size:
                        return head
                raise
            finally:
                tried = True

        self._call("put", path, complete)

    def __repr__(self) -> str:
        return f"S3Backend(endpoint_url={self.endpoint_url!r}, region_name={self.region_name!r})"
