"""ZipCheck / verify_zip: every member of a zip file against its recorded CRC-32, for local
files, bytes and objects read back from a real S3 server."""

from __future__ import annotations

import io
import os
import uuid
import zipfile

import pytest
from fileio_support import BUCKET, s3_args
from mme import fileio

MiB = 1024 * 1024


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _flip(data: bytes, needle: bytes) -> bytes:
    """``data`` with one bit flipped inside the first occurrence of ``needle``."""
    at = data.index(needle) + len(needle) // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def test_intact_zip_passes_from_a_file_and_from_bytes(tmp_path):
    data = _zip({"archive/data.pkl": b"pickle", "archive/data/0": os.urandom(1000), "archive/data/1": b""})
    path = tmp_path / "ok.pth"
    path.write_bytes(data)
    assert fileio.verify_zip(path) is True
    assert fileio.verify_zip(data) is True
    with fileio.ZipCheck(str(path)) as check:
        assert check.wait() is True and check.wait() is True


def test_flipped_bit_names_the_file_and_the_member(tmp_path):
    payload = os.urandom(5000)
    data = _flip(_zip({"archive/data.pkl": b"pickle", "archive/data/7": payload}), payload[100:200])
    path = tmp_path / "bad.pth"
    path.write_bytes(data)
    pattern = rf"{path} is corrupt: member archive/data/7 \(5000 bytes\) has CRC-32 [0-9a-f]{{8}}, its zip directory"
    with pytest.raises(fileio.CorruptFileError, match=pattern):
        fileio.verify_zip(path)
    with pytest.raises(fileio.CorruptFileError, match="model.pth is corrupt: member archive/data/7"):
        fileio.verify_zip(data, name="model.pth")


def test_large_members_are_checked_on_threads(tmp_path):
    members = {f"archive/data/{i}": os.urandom(2 * MiB) for i in range(4)}
    path = tmp_path / "big.pth"
    path.write_bytes(_flip(_zip(members), members["archive/data/2"][:64]))
    with pytest.raises(fileio.CorruptFileError, match="member archive/data/2 "):
        with fileio.ZipCheck(path, max_workers=3) as check:
            check.wait()
    path.write_bytes(_zip(members))
    with fileio.ZipCheck(path, max_workers=3) as check:
        assert check.wait()


def test_compressed_member_is_checked_by_zipfile(tmp_path):
    data = _zip({"a.txt": b"hello " * 1000}, compression=zipfile.ZIP_DEFLATED)
    assert fileio.verify_zip(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("a.txt")
    name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    bad = data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]
    with pytest.raises(fileio.CorruptFileError, match="a.txt"):
        fileio.verify_zip(bad)


def test_damaged_layout_and_non_zip_files(tmp_path):
    data = _zip({"archive/data/0": b"x" * 100})
    moved = tmp_path / "moved.pth"  # a local header overwritten
    moved.write_bytes(b"\0" * 4 + data[4:])
    assert fileio.verify_zip(moved) is False  # no longer starts like a zip: treated as another format
    header = tmp_path / "header.pth"
    header.write_bytes(data[:2] + b"\0\0" + data[4:])
    with pytest.raises(fileio.CorruptFileError, match="local header of member archive/data/0"):
        fileio.verify_zip(header)
    short = tmp_path / "short.pth"
    short.write_bytes(b"PK\x03\x04")
    with pytest.raises(fileio.CorruptFileError, match="too short"):
        fileio.verify_zip(short)
    legacy = tmp_path / "legacy.pth"
    legacy.write_bytes(b"\x80\x02}q\x00.")  # a pickle, like torch's legacy format
    assert fileio.verify_zip(legacy) is False
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(data[: len(data) - 10])
    with pytest.raises(fileio.CorruptFileError, match="truncated.pth is corrupt"):
        fileio.verify_zip(truncated)


def _without_crcs(data: bytes) -> bytes:
    """``data`` (a zip) with every recorded CRC-32 set to 0, as writers that skip them leave it."""
    out = bytearray(data)
    for signature, at in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):  # local headers, directory entries
        start = out.find(signature)
        while start != -1:
            out[start + at: start + at + 4] = b"\0\0\0\0"
            start = out.find(signature, start + 4)
    return bytes(out)


def test_members_without_a_recorded_crc_are_not_checked():
    payload = os.urandom(3000)
    unrecorded = _without_crcs(_zip({"archive/data/0": payload, "archive/data/1": b""}))
    assert fileio.verify_zip(unrecorded) is False  # nothing could be checked; not an error
    assert fileio.verify_zip(_flip(unrecorded, payload[:50])) is False
    assert fileio.verify_zip(_zip({"archive/data/1": b""})) is False  # an empty member has nothing to check


def test_remote_zip_checked_as_bytes_and_as_a_local_copy(moto_endpoint):
    args = s3_args(moto_endpoint)
    payload = os.urandom(3000)
    uri = f"s3://{BUCKET}/{uuid.uuid4().hex}/epoch_1.pth"
    fileio.put(_flip(_zip({"archive/data/0": payload}), payload[:50]), uri, backend_args=args)
    with pytest.raises(fileio.CorruptFileError, match=rf"{uri} is corrupt: member archive/data/0 "):
        fileio.verify_zip(fileio.get(uri, backend_args=args), name=uri)
    with fileio.get_local_path(uri, backend_args=args) as local:
        with pytest.raises(fileio.CorruptFileError, match="member archive/data/0"):
            fileio.verify_zip(local, name=uri)


def _central_entry(data: bytes, name: bytes) -> int:
    """Where the zip directory's entry for member ``name`` starts."""
    at = data.index(b"PK\x01\x02")  # the first directory entry
    while data[at + 46: at + 46 + len(name)] != name:
        at = data.index(b"PK\x01\x02", at + 4)
    return at


def _patched(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new):]


def test_damage_outside_the_checksummed_data_is_caught():
    """The CRC-32s cover the members' data; readers also trust the names, flags and counts around it."""
    data = _zip({"archive/data.pkl": b"pickle", "archive/data/0": b"tensor bytes", "archive/version": b"3\n"})
    entry = _central_entry(data, b"archive/data/0")
    local_name = data.index(b"archive/data/0")  # the first copy of the name: the local header's
    cases = {
        "another name in its local header": _patched(data, local_name, b"archive/dat@"),
        "marked as a directory": _patched(data, entry + 38, b"\x10"),  # external attributes: MS-DOS directory
        # a comment length in an entry: the directory parser skips the rest of the directory
        "holds 2 members, its end record says 3": _patched(data, entry + 32, b"\xff\xff"),
        "zip file version": _patched(data, entry + 6, b"\xff"),  # the version needed to extract
    }
    for message, damaged in cases.items():
        with pytest.raises(fileio.CorruptFileError, match=f"model.pth is corrupt: .*{message}"):
            fileio.verify_zip(damaged, name="model.pth")


def test_member_count_of_a_zip64_end_record_is_read():
    """More than 65535 members: the count lives in the zip64 end record."""
    members = {f"m{i}": b"x" for i in range(65536)}
    data = _zip(members)
    assert b"PK\x06\x06" in data[-200:]  # written with a zip64 end record
    assert fileio.verify_zip(data) is True
    zip64_end = data.rindex(b"PK\x06\x06")
    with pytest.raises(fileio.CorruptFileError, match="holds 65536 members, its end record says 65537"):
        fileio.verify_zip(_patched(data, zip64_end + 32, (65537).to_bytes(8, "little")))
