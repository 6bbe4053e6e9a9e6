"""mme.fileio throughput against plain boto3 and plain file I/O, measured in the same run.

S3: put/get of a 100 MB object on a loopback moto server (started in a subprocess), through
``mme.fileio.put/get`` and through plain boto3 calls: ``put_object``/``get_object`` (one
request each) and ``upload_fileobj``/``download_fileobj`` (boto3's managed, multipart and
concurrent transfers). Local: ``mme.fileio.put/get`` (atomic: temp file + fsync + rename)
against ``open().write()`` without and with fsync, and ``open().read()``.

Prints median seconds of ``--repeat`` round-robin runs, MB/s and ratios (throughput mme / baseline; >= 0.9 is
the target). Asserts nothing. Run: ``python benchmarks/bench_fileio.py [--size-mb 100]``.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from mme import fileio

SERVER = (
    "from moto.server import ThreadedMotoServer\n"
    "import logging, sys, time\n"
    "logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
    "s = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False); s.start()\n"
    "print(s._server.server_port, flush=True)\n"
    "sys.stdin.read()\n"
)
CREDS = dict(aws_access_key_id="bench", aws_secret_access_key="bench-secret", region_name="us-east-1")


def measure(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds per case; the cases run round-robin so drift hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(title: str, times: dict[str, float], pairs: list[tuple[str, str]], size: int) -> None:
    print(title)
    for name, seconds in times.items():
        print(f"  {name:<44} {seconds:7.3f} s  {size / seconds / 1e6:8.1f} MB/s")
    for mme_name, base_name in pairs:
        ratio = times[base_name] / times[mme_name]
        print(f"  ratio {mme_name} / {base_name}: {ratio:.2f}")


def bench_s3(data: bytes, repeat: int) -> None:
    import boto3

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = f"http://127.0.0.1:{int(server.stdout.readline())}"
        client = boto3.client("s3", endpoint_url=endpoint, **CREDS)
        client.create_bucket(Bucket="bench")
        managed = dict(endpoint_url=endpoint, **CREDS)  # defaults: multipart, 10 parts in flight
        single = dict(managed, multipart_threshold=1 << 40)  # one request, like put/get_object
        uri, uri1 = "s3://bench/mme.bin", "s3://bench/mme1.bin"
        fileio.put(b"warm-up", uri, backend_args=managed)
        fileio.put(b"warm-up", uri, backend_args=single)
        client.put_object(Bucket="bench", Key="warm", Body=b"warm-up")

        def download_fileobj() -> bytes:
            buf = io.BytesIO()
            client.download_fileobj("bench", "u.bin", buf)
            return buf.getvalue()

        puts = measure(
            {
                "mme.fileio.put (multipart, concurrent)": lambda: fileio.put(data, uri, backend_args=managed),
                "boto3 upload_fileobj (multipart, concurrent)": lambda: client.upload_fileobj(
                    io.BytesIO(data), "bench", "u.bin"
                ),
                "mme.fileio.put (single request)": lambda: fileio.put(data, uri1, backend_args=single),
                "boto3 put_object": lambda: client.put_object(Bucket="bench", Key="p.bin", Body=data),
            },
            repeat,
        )
        if fileio.get(uri, backend_args=managed) != data or download_fileobj() != data:
            raise SystemExit("S3 round trip returned different bytes")
        gets = measure(
            {
                "mme.fileio.get (ranged, concurrent)": lambda: fileio.get(uri, backend_args=managed),
                "boto3 download_fileobj (ranged, concurrent)": download_fileobj,
                "mme.fileio.get (single request)": lambda: fileio.get(uri1, backend_args=single),
                "boto3 get_object().read()": lambda: client.get_object(Bucket="bench", Key="p.bin")["Body"].read(),
            },
            repeat,
        )
    finally:
        server.stdin.close()
        server.terminate()
        server.wait()
    size = len(data)
    mb = size / 1e6
    report(
        f"S3 put, {mb:.0f} MB object, loopback moto server, median of {repeat}",
        puts,
        [
            ("mme.fileio.put (multipart, concurrent)", "boto3 upload_fileobj (multipart, concurrent)"),
            ("mme.fileio.put (single request)", "boto3 put_object"),
        ],
        size,
    )
    report(
        f"S3 get, {mb:.0f} MB object, loopback moto server, median of {repeat}",
        gets,
        [
            ("mme.fileio.get (ranged, concurrent)", "boto3 download_fileobj (ranged, concurrent)"),
            ("mme.fileio.get (single request)", "boto3 get_object().read()"),
        ],
        size,
    )


def bench_local(data: bytes, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mme-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        path = os.path.join(tmp, "mme.bin")
        plain = os.path.join(tmp, "plain.bin")

        def write_plain(sync: bool) -> None:
            with open(plain, "wb") as f:
                f.write(data)
                if sync:
                    f.flush()
                    os.fsync(f.fileno())

        def read_plain() -> bytes:
            with open(plain, "rb") as f:
                return f.read()

        puts = measure(
            {
                "mme.fileio.put (temp + fsync + rename)": lambda: fileio.put(data, path),
                "open().write() + fsync": lambda: write_plain(True),
                "open().write() (no fsync)": lambda: write_plain(False),
            },
            repeat,
        )
        gets = measure({"mme.fileio.get": lambda: fileio.get(path), "open().read()": read_plain}, repeat)
        mb = len(data) / 1e6
        report(
            f"Local put, {mb:.0f} MB file in {tmp}, median of {repeat}",
            puts,
            [
                ("mme.fileio.put (temp + fsync + rename)", "open().write() + fsync"),
                ("mme.fileio.put (temp + fsync + rename)", "open().write() (no fsync)"),
            ],
            len(data),
        )
        report(
            f"Local get, {mb:.0f} MB file, median of {repeat}",
            gets,
            [("mme.fileio.get", "open().read()")],
            len(data),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-s3", action="store_true")
    opts = parser.parse_args()
    data = os.urandom(opts.size_mb * 1_000_000)
    if not opts.skip_s3:
        bench_s3(data, opts.repeat)
    bench_local(data, opts.repeat)


if __name__ == "__main__":
    main()
