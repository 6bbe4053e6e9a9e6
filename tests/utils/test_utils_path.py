"""is_filepath, fopen, symlink, is_abs and check_file_exist."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mme.utils import check_file_exist, fopen, is_abs, is_filepath, symlink


def test_is_filepath():
    assert is_filepath("a/b.txt") and is_filepath(Path("a"))
    assert not is_filepath(b"a") and not is_filepath(None) and not is_filepath(3)


def test_fopen_opens_str_and_path(tmp_path):
    target = tmp_path / "f.txt"
    with fopen(str(target), "w") as f:
        f.write("one")
    with fopen(target, "a") as f:
        f.write("two")
    with fopen(target) as f:
        assert f.read() == "onetwo"
    with pytest.raises(ValueError, match="string or a Path"):
        fopen(3)


def test_symlink_creates_and_overwrites(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("A")
    b.write_text("B")
    link = tmp_path / "link"
    symlink("a.txt", link)  # relative to the link's directory
    assert os.readlink(link) == "a.txt" and link.read_text() == "A"
    symlink(str(b), str(link))
    assert link.read_text() == "B"
    with pytest.raises(FileExistsError):
        symlink(a, link, overwrite=False)
    (tmp_path / "d").mkdir()
    with pytest.raises(FileExistsError, match="directory"):
        symlink(a, tmp_path / "d")
    assert (tmp_path / "d").is_dir()
    dangling = tmp_path / "dangling"
    symlink(tmp_path / "missing", dangling)
    symlink(a, dangling)  # a dangling link is replaced too
    assert dangling.read_text() == "A"


def test_is_abs():
    assert is_abs("/data/x.jpg") and is_abs(Path("/data"))
    for uri in ("s3://bucket/x", "http://host/x", "https://host/x", "memory://x", "gs://b/x"):
        assert is_abs(uri), uri
    assert not is_abs("data/x.jpg") and not is_abs("./x") and not is_abs("s3:/bucket")


def test_check_file_exist(tmp_path):
    f = tmp_path / "x"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_file_exist(f)
    f.write_text("")
    check_file_exist(f)
    with pytest.raises(FileNotFoundError):
        check_file_exist(tmp_path)  # a directory is not a file
