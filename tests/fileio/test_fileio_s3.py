"""S3 specifics against a real S3 server (moto, over HTTP): multipart, presigned URLs,
credentials from the environment, error translation, aborts, and boto3 staying lazy."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from fileio_support import BUCKET, FAKE_KEY_ID, FAKE_SECRET, raw_client, s3_args
from mme import fileio

MiB = 1024 * 1024
# small enough for a fast test, large enough for several parts (S3's minimum part is 5 MiB)
MULTIPART = dict(multipart_threshold=6 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)


def uri(*parts: str) -> str:
    return "/".join([f"s3://{BUCKET}", uuid.uuid4().hex, *parts])


def test_multipart_put_get_and_local_copies(moto_endpoint, tmp_path):
    args = s3_args(moto_endpoint, **MULTIPART)
    data = os.urandom(12 * MiB + 123)
    path = uri("big.bin")
    fileio.put(data, path, backend_args=args)
    head = raw_client(moto_endpoint).head_object(Bucket=BUCKET, Key=path.split("/", 3)[3])
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # three parts: a completed multipart upload
    assert fileio.get(path, backend_args=args) == data
    local = tmp_path / "big.bin"
    local.write_bytes(data[::-1])
    up = fileio.copyfile_from_local(local, uri("up.bin"), backend_args=args)
    assert fileio.get(up, backend_args=args) == data[::-1]
    down = fileio.copyfile_to_local(up, tmp_path / "down.bin", backend_args=args)
    assert Path(down).read_bytes() == data[::-1]
    with fileio.get_local_path(path, backend_args=args) as lp:
        assert Path(lp).read_bytes() == data


def test_parallel_local_copies_without_pread_and_pwrite(moto_endpoint, tmp_path, monkeypatch):
    """Windows has no os.pread/os.pwrite: parts then read and write through one locked handle."""
    monkeypatch.delattr(os, "pread")
    monkeypatch.delattr(os, "pwrite")
    args = s3_args(moto_endpoint, **MULTIPART)
    data = os.urandom(17 * MiB + 5)  # four parts, the last one short
    local = tmp_path / "up.bin"
    local.write_bytes(data)
    up = fileio.copyfile_from_local(local, uri("up.bin"), backend_args=args)
    head = raw_client(moto_endpoint).head_object(Bucket=BUCKET, Key=up.split("/", 3)[3])
    assert head["ETag"].strip('"').endswith("-4")  # uploaded in parts, read at their offsets
    down = fileio.copyfile_to_local(up, tmp_path / "down.bin", backend_args=args)
    assert Path(down).read_bytes() == data  # downloaded in ranges, written at their offsets


def test_presigned_url_serves_the_object(moto_endpoint):
    args = s3_args(moto_endpoint)
    path = uri("shared.txt")
    fileio.put(b"presigned!", path, backend_args=args)
    url = fileio.generate_presigned_url(path, expires_in=60, backend_args=args)
    assert FAKE_SECRET not in url
    with urllib.request.urlopen(url) as resp:
        assert resp.read() == b"presigned!"


def test_credentials_and_endpoint_from_environment(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    path = uri("env.txt")
    backend = fileio.get_file_backend(path)  # no backend_args at all
    assert isinstance(backend, fileio.S3Backend)
    backend.put(b"from env", path)
    assert raw_client(moto_endpoint).get_object(Bucket=BUCKET, Key=path.split("/", 3)[3])["Body"].read() == b"from env"


def test_missing_key_and_bucket_raise_at_once_with_uri(moto_endpoint, fault_proxy):
    proxy = fault_proxy(faults=False)
    args = s3_args(proxy.endpoint)
    missing = uri("absent.bin")
    with pytest.raises(fileio.ObjectNotFoundError, match=missing) as info:
        fileio.get(missing, backend_args=args)
    assert isinstance(info.value, FileNotFoundError)
    assert sum(proxy.requests.values()) == 1  # not retried
    with pytest.raises(FileNotFoundError, match="bucket 'no-such-bucket-mme' does not exist"):
        fileio.get("s3://no-such-bucket-mme/k", backend_args=args)
    with pytest.raises(FileNotFoundError, match="no-such-bucket-mme"):
        fileio.put(b"x", "s3://no-such-bucket-mme/k", backend_args=args)
    assert not fileio.exists("s3://no-such-bucket-mme/k", backend_args=args)


def test_permission_error_raises_at_once_without_secrets(moto_endpoint, fault_proxy):
    proxy = fault_proxy(faults=False, forbid=lambda method, path: "/private/" in path)
    args = s3_args(proxy.endpoint)
    path = f"s3://{BUCKET}/private/{uuid.uuid4().hex}.bin"
    with pytest.raises(fileio.StoragePermissionError, match="permission denied") as info:
        fileio.get(path, backend_args=args)
    message = str(info.value)
    assert path in message
    assert FAKE_SECRET not in message and FAKE_KEY_ID not in message
    assert isinstance(info.value, PermissionError)
    assert sum(proxy.requests.values()) == 1
    with pytest.raises(PermissionError, match=path):
        fileio.put(b"x", path, backend_args=args)
    backend = fileio.get_file_backend(path, backend_args=args)
    assert FAKE_SECRET not in repr(backend)


def test_failed_multipart_upload_is_aborted_and_old_object_kept(moto_endpoint, fault_proxy):
    proxy = fault_proxy(faults=False, forbid=lambda method, path: method == "PUT" and "partNumber=2" in path)
    args = s3_args(proxy.endpoint, **MULTIPART)
    path = uri("model.pth")
    key = path.split("/", 3)[3]
    fileio.put(b"previous checkpoint", path, backend_args=args)
    with pytest.raises(PermissionError, match=path):
        fileio.put(os.urandom(12 * MiB), path, backend_args=args)
    client = raw_client(moto_endpoint)
    uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Uploads", [])
    assert uploads == []  # aborted, nothing left to bill
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"previous checkpoint"


def test_server_side_copy_and_recursive_listing_with_markers(moto_endpoint):
    args = s3_args(moto_endpoint)
    root = uri("root")
    key = root.split("/", 3)[3]
    client = raw_client(moto_endpoint)
    client.put_object(Bucket=BUCKET, Key=f"{key}/emptydir/", Body=b"")  # a console-made "folder"
    fileio.put(b"1", f"{root}/d/f.txt", backend_args=args)
    assert sorted(fileio.list_dir_or_file(root, recursive=True, backend_args=args)) == ["d", "d/f.txt", "emptydir"]
    assert sorted(fileio.list_dir_or_file(root, backend_args=args)) == ["d", "emptydir"]
    fileio.copyfile(f"{root}/d/f.txt", f"{root}/e/g.txt", backend_args=args)
    assert fileio.get(f"{root}/e/g.txt", backend_args=args) == b"1"


def test_large_copy_goes_in_parts(moto_endpoint):
    args = s3_args(moto_endpoint, **MULTIPART)
    backend = fileio.get_file_backend("s3://", backend_args=args)
    backend.max_single_copy = 6 * MiB  # S3 allows 5 GiB in one CopyObject; pretend less
    data = os.urandom(11 * MiB)
    src, dst = uri("src.bin"), uri("dst.bin")
    backend.put(data, src)
    backend.copyfile(src, dst)
    assert backend.get(dst) == data
    head = raw_client(moto_endpoint).head_object(Bucket=BUCKET, Key=dst.split("/", 3)[3])
    assert head["ETag"].strip('"').endswith("-3")
    with pytest.raises(FileNotFoundError, match="absent"):
        backend.copyfile(uri("absent.bin"), dst)


def test_bad_s3_input(moto_endpoint):
    args = s3_args(moto_endpoint)
    with pytest.raises(fileio.InvalidURIError, match="no bucket"):
        fileio.get("s3:///key", backend_args=args)
    with pytest.raises(ValueError, match="not an object"):
        fileio.put(b"x", f"s3://{BUCKET}/dir/", backend_args=args)
    with pytest.raises(ValueError, match="multipart_chunksize"):
        fileio.get_file_backend("s3://b/k", backend_args=s3_args(moto_endpoint, multipart_chunksize=1024))
    with pytest.raises(ValueError, match="max_attempts"):
        fileio.get_file_backend("s3://b/k", backend_args=s3_args(moto_endpoint, max_attempts=0))
    with pytest.raises(TypeError, match="S3Backend does not accept backend_args keys"):
        fileio.get_file_backend("s3://b/k", backend_args={"no_such_option": 1})
    with pytest.raises(fileio.UnsupportedOperationError):
        fileio.generate_presigned_url("memory://x/y")


SCRIPT_IMPORT = "import sys, mme.fileio; print(sorted(m for m in sys.modules if m.split('.')[0] in {MODS!r}))"
SCRIPT_BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('boto3', 'botocore', 's3transfer'):
            raise ImportError(f'No module named {name!r} (blocked by the test)')
sys.meta_path.insert(0, Block())
import mme.fileio as f
try:
    f.get('s3://bucket/key')
except ImportError as e:
    print(e)
"""


def test_import_is_lazy_and_missing_boto3_names_the_extra():
    mods = {"boto3", "botocore", "s3transfer", "torch", "numpy"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT_IMPORT.format(MODS=mods)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
    out = subprocess.run([sys.executable, "-c", SCRIPT_BLOCKED], capture_output=True, text=True, check=True)
    assert "pip install 'mme-fileio[s3]'" in out.stdout
