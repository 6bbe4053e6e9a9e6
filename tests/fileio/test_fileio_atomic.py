"""Local writes are atomic: a writer that dies mid-write never leaves a truncated target."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fileio_support import BUCKET, s3_args
from mme import fileio

SIZE = 32 * 1024 * 1024
OLD = b"o" * SIZE

WRITER_LOOP = """
import sys
import mme.fileio as fileio
path, size = sys.argv[1], int(sys.argv[2])
versions = [b"a" * size, b"b" * size]
fileio.put(versions[0], path)
print("ready", flush=True)
i = 1
while True:
    fileio.put(versions[i % 2], path)
    i += 1
"""

WRITER_FSIZE = """
import resource, signal, sys
import mme.fileio as fileio
path, size, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# Python ignores SIGXFSZ (the write then fails with EFBIG); "die" restores the kernel's
# default, which kills the process at the limit, mid-write.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if mode == "die" else signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
try:
    fileio.put(b"n" * size, path)
except OSError as exc:
    print(type(exc).__name__, exc.errno, flush=True)
"""


# Killing a writer midway takes POSIX signals (SIGKILL) and limits (RLIMIT_FSIZE, SIGXFSZ).
posix_only = pytest.mark.skipif(os.name != "posix", reason="kills the writer with POSIX signals and rlimits")


def _temp_files(directory, name):
    return [f for f in os.listdir(directory) if f != name and f.startswith(f".{name}.")]


@posix_only
def test_sigkill_mid_write_leaves_a_complete_file(tmp_path):
    target = tmp_path / "ckpt.bin"
    proc = subprocess.Popen([sys.executable, "-c", WRITER_LOOP, str(target), str(SIZE)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60  # a safety net against a hang, not a timing assertion
        while not _temp_files(tmp_path, target.name) and time.monotonic() < deadline:
            time.sleep(0.0005)
        os.kill(proc.pid, signal.SIGKILL)  # while a temporary file is being written
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    content = target.read_bytes()
    assert content in (b"a" * SIZE, b"b" * SIZE)  # one whole version, never a torn one


@posix_only
def test_death_mid_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "ckpt.bin"
    fileio.put(OLD, target)
    # RLIMIT_FSIZE kills the writer with SIGXFSZ once half of the new content is on disk.
    proc = subprocess.run([sys.executable, "-c", WRITER_FSIZE, str(target), str(SIZE), "die"], capture_output=True, check=False)
    assert proc.returncode == -signal.SIGXFSZ
    assert target.read_bytes() == OLD
    leftovers = _temp_files(tmp_path, target.name)
    assert len(leftovers) == 1  # the torn data sits in a temporary file, not under the name
    assert 0 < os.path.getsize(tmp_path / leftovers[0]) < SIZE
    # the next start clears it away, and only it
    assert fileio.remove_temp_files(tmp_path) == [str(tmp_path / leftovers[0])]
    assert os.listdir(tmp_path) == [target.name] and target.read_bytes() == OLD


def test_remove_temp_files_takes_only_atomic_write_leftovers(tmp_path, moto_endpoint):
    ours = [".a.pth.0123456789ab.tmp", "..x.tmp.ffffffffffff.tmp"]
    theirs = [".a.pth.0123456789AB.tmp", ".a.pth.0123456789a.tmp", "a.pth.0123456789ab.tmp", ".0123456789ab.tmp",
              ".a.pth.0123456789ab.tmp.bak", "notes.tmp", ".tmp"]
    for name in ours + theirs:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ours[0]).write_bytes(b"x")  # not recursive
    (tmp_path / ".d.pth.0123456789ab.tmp").mkdir()  # a sharded checkpoint directory being filled: ours
    (tmp_path / ".d.pth.0123456789ab.tmp" / "shard").write_bytes(b"x")
    os.symlink(tmp_path / "notes.tmp", tmp_path / ".l.0123456789ab.tmp")  # a link is not ours
    removed = fileio.remove_temp_files(f"file://{tmp_path}")
    assert removed == sorted(str(tmp_path / n) for n in [*ours, ".d.pth.0123456789ab.tmp"])
    assert sorted(os.listdir(tmp_path)) == sorted(theirs + ["sub", ".l.0123456789ab.tmp"])
    assert (tmp_path / "sub" / ours[0]).exists()
    assert fileio.remove_temp_files(tmp_path / "missing") == []
    prefix = f"s3://{BUCKET}/remove-temp"
    fileio.put(b"x", f"{prefix}/{ours[0]}", backend_args=s3_args(moto_endpoint))
    assert fileio.remove_temp_files(prefix, backend_args=s3_args(moto_endpoint)) == []  # objects appear whole
    assert fileio.exists(f"{prefix}/{ours[0]}", backend_args=s3_args(moto_endpoint))


@posix_only
def test_failed_write_cleans_up_and_keeps_the_previous_file(tmp_path):
    target = tmp_path / "ckpt.bin"
    fileio.put(OLD, target)
    proc = subprocess.run(
        [sys.executable, "-c", WRITER_FSIZE, str(target), str(SIZE), "error"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] in ("OSError", "FileTooLargeError")
    assert target.read_bytes() == OLD
    assert _temp_files(tmp_path, target.name) == []


@posix_only  # Windows files have no permission bits beyond read-only
def test_put_keeps_the_mode_of_an_existing_file(tmp_path):
    target = tmp_path / "script.sh"
    target.write_bytes(b"old")
    os.chmod(target, 0o750)
    fileio.put(b"new", target)
    assert target.read_bytes() == b"new"
    assert (os.stat(target).st_mode & 0o777) == 0o750


def test_put_over_a_directory_fails_cleanly(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        fileio.put(b"x", tmp_path / "d")
    assert _temp_files(tmp_path, "d") == []
