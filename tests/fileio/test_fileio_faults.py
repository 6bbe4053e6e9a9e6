"""Transient S3 failures: through a proxy that answers 503/SlowDown, drops connections before
and after the server handled a request, and cuts response bodies short, every transfer through
mme still succeeds and the bytes read back are identical."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from fileio_support import BUCKET, raw_client, s3_args
from mme import fileio

MiB = 1024 * 1024


def test_transfers_survive_503s_and_dropped_connections(moto_endpoint, fault_proxy, tmp_path):
    proxy = fault_proxy()
    args = s3_args(
        proxy.endpoint, multipart_threshold=6 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3, max_attempts=6
    )
    root = f"s3://{BUCKET}/faults-{uuid.uuid4().hex}"
    client = raw_client(moto_endpoint)  # checks go straight to the server, around the proxy

    small = {f"{root}/small/{i}.bin": os.urandom(1000 + i) for i in range(8)}
    for path, data in small.items():
        fileio.put(data, path, backend_args=args)
    for path, data in small.items():
        assert fileio.get(path, backend_args=args) == data
        assert client.get_object(Bucket=BUCKET, Key=path.split("/", 3)[3])["Body"].read() == data

    big = os.urandom(16 * MiB + 7)  # four parts up, four ranges down
    fileio.put(big, f"{root}/big.bin", backend_args=args)
    assert client.get_object(Bucket=BUCKET, Key=f"{root}/big.bin".split("/", 3)[3])["Body"].read() == big
    assert fileio.get(f"{root}/big.bin", backend_args=args) == big

    local = tmp_path / "upload.bin"
    local.write_bytes(big[::-1])
    fileio.copyfile_from_local(local, f"{root}/from_local.bin", backend_args=args)
    down = fileio.copyfile_to_local(f"{root}/from_local.bin", tmp_path / "down.bin", backend_args=args)
    assert Path(down).read_bytes() == big[::-1]

    fileio.copyfile(f"{root}/big.bin", f"{root}/copy.bin", backend_args=args)
    assert fileio.get(f"{root}/copy.bin", backend_args=args) == big
    assert fileio.exists(f"{root}/big.bin", backend_args=args)
    assert sorted(fileio.list_dir_or_file(root, list_dir=False, recursive=True, backend_args=args)) == sorted(
        ["big.bin", "copy.bin", "from_local.bin", *(f"small/{i}.bin" for i in range(8))]
    )
    fileio.remove(f"{root}/copy.bin", backend_args=args)
    fileio.rmtree(f"{root}/small", backend_args=args)
    assert not fileio.exists(f"{root}/small", backend_args=args)

    # every kind of fault was injected, so the above survived all of them
    assert {"503", "slowdown", "drop", "drop_after", "truncate"} <= set(proxy.injected)
