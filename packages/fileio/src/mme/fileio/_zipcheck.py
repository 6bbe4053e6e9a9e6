"""Checking the CRC-32 of every member of a zip file (torch checkpoints are zip files)."""

from __future__ import annotations

import io
import mmap
import os
import struct
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, BinaryIO

from ._backend import PathLike
from ._errors import CorruptFileError

__all__ = ["ZipCheck", "verify_zip"]

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature; the name and extra-field lengths sit at offset 26
_PIECE = 64 * 1024 * 1024  # zlib.crc32 is fed this much at a time
_INLINE = 4 * 1024 * 1024  # smaller files are checked at once, without threads
_EMPTY_ZIP = 22  # the size of the end-of-directory record, the smallest zip file
_DOS_DIRECTORY = 0x10  # the directory flag in a member's external attributes


class ZipCheck:
    """Checks each member of a zip file against the CRC-32 its directory records, in the background.

    Readers of zip files often skip this check (``torch.load`` does), so flipped bits in a
    member load silently. The check reads the members in place (a file is memory-mapped) and
    runs ``zlib.crc32``, which releases the GIL, on up to ``max_workers`` threads: it can run
    while the caller reads the same file, and :meth:`wait` gives the verdict. Members stored
    compressed are checked by ``zipfile`` when decompressed. A file that is not a zip, and a
    member whose recorded CRC-32 is 0 although it holds data (what writers that skip the
    checksum record, e.g. ``torch.save`` after ``torch.serialization.set_crc32_options(False)``),
    are not checked; :meth:`wait` returns False when nothing could be checked.

    Use it as a context manager, which stops the threads and unmaps the file on exit.

    Args:
        source: A local file path, or the file's bytes.
        name: How messages name the file (default: the path).
        max_workers: Threads for the check (default: up to 8, bounded by the CPU count).

    Examples:
        >>> buffer = io.BytesIO()
        >>> with zipfile.ZipFile(buffer, "w") as zf:
        ...     zf.writestr("data/0", b"some tensor bytes")
        >>> data = buffer.getvalue()
        >>> with ZipCheck(data) as check:
        ...     check.wait()
        True
        >>> bad = data.replace(b"tensor", b"tensoR")
        >>> with ZipCheck(bad, name="model.pth") as check:
        ...     check.wait()
        Traceback (most recent call last):
        ...
        mme.fileio._errors.CorruptFileError: model.pth is corrupt: member data/0 (17 bytes) has CRC-32 ...
    """

    def __init__(self, source: PathLike | bytes, name: str | None = None, max_workers: int | None = None) -> None:
        self.name = name if name is not None else ("<bytes>" if isinstance(source, bytes) else os.fspath(source))
        self._source = source
        self._max_workers = max_workers if max_workers is not None else min(8, os.cpu_count() or 1)
        self._file: BinaryIO | None = None
        self._mapped: mmap.mmap | None = None
        self._view: memoryview | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[tuple[zipfile.ZipInfo, int, int, Future[int] | int]] = []
        self._verdict: bool | None = None
        self._started = False

    def __enter__(self) -> ZipCheck:
        self._started = True
        try:
            self._start()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close()

    def _start(self) -> None:
        if isinstance(self._source, bytes):
            view = memoryview(self._source)
            directory: Any = io.BytesIO(self._source)  # shares the bytes, no copy
        else:
            self._file = directory = open(self._source, "rb")  # noqa: SIM115 - closed in _close
            if directory.read(2) != b"PK":
                view = memoryview(b"")
            elif os.fstat(directory.fileno()).st_size < _EMPTY_ZIP:
                raise CorruptFileError(f"{self.name} is corrupt: too short for a zip file")
            else:
                self._mapped = mmap.mmap(directory.fileno(), 0, access=mmap.ACCESS_READ)
                view = memoryview(self._mapped)
        self._view = view
        if view[:2] != b"PK":  # not a zip (a legacy torch checkpoint, say): nothing to check against
            self._verdict = False
            return
        ranges = self._member_ranges(directory, view)
        recorded = [r for r in ranges if r[0].CRC != 0 and r[0].file_size > 0]  # an empty member has nothing to check
        stored = sorted((r for r in recorded if r[0].compress_type == zipfile.ZIP_STORED), key=lambda r: r[1] - r[2])
        if not stored:
            self._verdict = bool(recorded)
            return
        if sum(end - start for _, start, end in stored) < _INLINE:
            self._jobs = [(info, start, end, _crc(view, start, end)) for info, start, end in stored]
            return
        self._pool = ThreadPoolExecutor(max(1, min(self._max_workers, len(stored))), thread_name_prefix="mme-zipcheck")
        self._jobs = [(info, start, end, self._pool.submit(_crc, view, start, end)) for info, start, end in stored]

    def _member_ranges(self, directory: Any, view: memoryview) -> list[tuple[zipfile.ZipInfo, int, int]]:
        """``(member, start, end)`` of each member's data; compressed members are checked here."""
        ranges = []
        try:
            with zipfile.ZipFile(directory) as zf:  # reads the central directory only
                stated = _stated_count(view)
                if stated is not None and stated != len(zf.infolist()):  # a damaged entry hid the ones after it
                    raise CorruptFileError(f"{self.name} is corrupt: its zip directory holds {len(zf.infolist())} "
                                           f"members, its end record says {stated}")
                for info in zf.infolist():
                    offset = info.header_offset
                    header = bytes(view[offset: offset + _LOCAL_HEADER.size])  # no view left behind
                    if len(header) < _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(header)[0] != b"PK\x03\x04":
                        raise CorruptFileError(f"{self.name} is corrupt: the local header of member "
                                               f"{info.filename} is missing or damaged")
                    _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
                    name_at = offset + _LOCAL_HEADER.size
                    if bytes(view[name_at: name_at + name_len]) != _raw_name(info):  # readers look members up by name
                        raise CorruptFileError(f"{self.name} is corrupt: member {info.filename!r} has another name "
                                               f"in its local header")
                    if info.external_attr & _DOS_DIRECTORY and info.file_size:  # some readers return nothing for it
                        raise CorruptFileError(f"{self.name} is corrupt: member {info.filename!r} holds data but is "
                                               f"marked as a directory")
                    start = name_at + name_len + extra_len
                    if start + info.compress_size > len(view):
                        raise CorruptFileError(f"{self.name} is corrupt: member {info.filename} runs past the "
                                               f"end of the file")
                    if info.compress_type != zipfile.ZIP_STORED and info.CRC != 0:
                        self._check_compressed(zf, info)
                    ranges.append((info, start, start + info.compress_size))
        except (zipfile.BadZipFile, UnicodeDecodeError, NotImplementedError) as exc:
            # a damaged directory: bad layout, a name that is not UTF-8, a version or feature no reader has
            raise CorruptFileError(f"{self.name} is corrupt: {exc}") from exc
        return ranges

    def _check_compressed(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        try:
            zf.read(info)  # zipfile checks the CRC-32 of what it decompresses
        except zipfile.BadZipFile:  # a CRC mismatch: reported by the caller
            raise
        except NotImplementedError:  # a compression method this Python lacks: the member stays unchecked
            return
        except Exception as exc:  # the decompressor's own error (zlib.error, LZMAError, ...)
            raise CorruptFileError(f"{self.name} is corrupt: member {info.filename} does not decompress: "
                                   f"{exc}") from exc

    def wait(self) -> bool:
        """Wait for the check: True when every member matches, False when nothing could be checked.

        Raises:
            CorruptFileError: A member's data does not match its CRC-32 (the message names the
                file and the member), or the zip's layout is damaged.
        """
        if not self._started:
            with self:
                return self.wait()
        if self._verdict is not None:
            return self._verdict
        for info, start, end, job in self._jobs:
            crc = job.result() if isinstance(job, Future) else job
            if crc != info.CRC:
                raise CorruptFileError(
                    f"{self.name} is corrupt: member {info.filename} ({end - start} bytes) has CRC-32 {crc:08x}, "
                    f"its zip directory records {info.CRC:08x}")
        self._verdict = True
        return True

    def _close(self) -> None:
        if self._pool is not None:
            for *_, job in self._jobs:
                if isinstance(job, Future):
                    job.cancel()
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._view is not None:
            self._view.release()
            self._view = None
        if self._mapped is not None:
            try:
                self._mapped.close()
            except BufferError:  # a view of it is still referenced (e.g. by a traceback): the GC unmaps it
                pass
            self._mapped = None
        if self._file is not None:
            self._file.close()
            self._file = None


_END = struct.Struct("<4s6xH10x")  # end-of-directory record: signature, total member count, comment length
_END64_LOCATOR = struct.Struct("<4s4xQ4x")  # zip64 locator (just before the end record): offset of the zip64 record
_END64 = struct.Struct("<4s28xQ")  # zip64 end record: signature, total member count at offset 32


def _stated_count(view: memoryview) -> int | None:
    """The member count the zip's end record states, or None where no end record is found."""
    first = max(0, len(view) - _END.size - 0xFFFF)  # the record, then a comment of at most 65535 bytes
    at = bytes(view[first:]).rfind(b"PK\x05\x06")
    if at < 0 or first + at + _END.size > len(view):
        return None
    at += first
    count = _END.unpack_from(view, at)[1]
    if count != 0xFFFF or at < _END64_LOCATOR.size:
        return count
    signature, offset = _END64_LOCATOR.unpack_from(view, at - _END64_LOCATOR.size)
    if signature != b"PK\x06\x07" or offset + _END64.size > len(view):
        return None
    signature, count = _END64.unpack_from(view, offset)
    return count if signature == b"PK\x06\x06" else None


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """A member's name as the zip's directory stores it (UTF-8 when flagged, else code page 437)."""
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _crc(view: memoryview, start: int, end: int) -> int:
    crc = 0
    for pos in range(start, end, _PIECE):
        crc = zlib.crc32(view[pos: min(pos + _PIECE, end)], crc)
    return crc


def verify_zip(source: PathLike | bytes, name: str | None = None) -> bool:
    """Check every member of a zip file against its recorded CRC-32 (see :class:`ZipCheck`).

    Returns:
        True when every member matches; False when ``source`` is not a zip file.

    Raises:
        CorruptFileError: A member does not match, or the zip's layout is damaged.
    """
    with ZipCheck(source, name) as check:
        return check.wait()
