"""One behavioural contract, run against every backend (local, memory://, s3:// on moto)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mme import fileio

TREE = {
    "a.txt": b"alpha",
    "b.json": b"{}",
    "sub/c.txt": b"gamma",
    "sub/deep/d.txt": b"delta",
    "sub/deep/e.bin": b"\x00\x01",
}


def make_tree(storage, base="tree"):
    for rel, data in TREE.items():
        fileio.put(data, storage.path(base, rel), backend_args=storage.args)
    return storage.path(base)


def test_put_get_bytes_and_text(storage):
    path = storage.path("x", "y", "file.bin")  # parents are created
    fileio.put(b"\x00payload\xff", path, backend_args=storage.args)
    assert fileio.get(path, backend_args=storage.args) == b"\x00payload\xff"
    fileio.put(b"second", path, backend_args=storage.args)  # overwrite
    assert fileio.get(path, backend_args=storage.args) == b"second"
    text_path = storage.path("text.txt")
    fileio.put_text("héllo wörld ✓", text_path, backend_args=storage.args)
    assert fileio.get_text(text_path, backend_args=storage.args) == "héllo wörld ✓"
    assert fileio.get(text_path, backend_args=storage.args) == "héllo wörld ✓".encode()
    fileio.put(b"", storage.path("empty"), backend_args=storage.args)
    assert fileio.get(storage.path("empty"), backend_args=storage.args) == b""


def test_missing_file_and_wrong_types(storage):
    missing = storage.path("nope.bin")
    with pytest.raises(FileNotFoundError):
        fileio.get(missing, backend_args=storage.args)
    with pytest.raises(TypeError, match="put_text"):
        fileio.put("text", storage.path("t"), backend_args=storage.args)
    with pytest.raises(TypeError, match="put for bytes"):
        fileio.put_text(b"bytes", storage.path("t"), backend_args=storage.args)


def test_exists_isdir_isfile(storage):
    file = storage.path("d", "f.txt")
    fileio.put(b"1", file, backend_args=storage.args)
    d = storage.path("d")
    assert fileio.exists(file, backend_args=storage.args)
    assert fileio.isfile(file, backend_args=storage.args)
    assert not fileio.isdir(file, backend_args=storage.args)
    assert fileio.exists(d, backend_args=storage.args)
    assert fileio.isdir(d, backend_args=storage.args)
    assert not fileio.isfile(d, backend_args=storage.args)
    missing = storage.path("missing")
    assert not fileio.exists(missing, backend_args=storage.args)
    assert not fileio.isdir(missing, backend_args=storage.args)
    assert not fileio.isfile(missing, backend_args=storage.args)


def test_join_path(storage):
    joined = fileio.join_path(storage.root, "a", "b.txt", backend_args=storage.args)
    assert joined.endswith("a/b.txt")
    fileio.put(b"j", joined, backend_args=storage.args)
    assert fileio.get(storage.path("a", "b.txt"), backend_args=storage.args) == b"j"


def test_list_dir_or_file(storage):
    root = make_tree(storage)
    args = storage.args

    def ls(**kw):
        return sorted(fileio.list_dir_or_file(root, backend_args=args, **kw))

    assert ls() == ["a.txt", "b.json", "sub"]
    assert ls(recursive=True) == sorted(["sub", "sub/deep", *TREE])
    assert ls(list_dir=False) == ["a.txt", "b.json"]
    assert ls(list_file=False) == ["sub"]
    assert ls(list_file=False, recursive=True) == ["sub", "sub/deep"]
    assert ls(list_dir=False, recursive=True) == sorted(TREE)
    assert ls(list_dir=False, suffix=".txt", recursive=True) == ["a.txt", "sub/c.txt", "sub/deep/d.txt"]
    assert ls(list_dir=False, suffix=(".json", ".bin"), recursive=True) == ["b.json", "sub/deep/e.bin"]
    # entries come in name order, a directory's contents right after it
    assert list(fileio.list_dir_or_file(root, recursive=True, backend_args=args)) == [
        "a.txt", "b.json", "sub", "sub/c.txt", "sub/deep", "sub/deep/d.txt", "sub/deep/e.bin",
    ]


def test_list_dir_or_file_bad_input(storage):
    root = make_tree(storage)
    with pytest.raises(TypeError, match="suffix"):
        fileio.list_dir_or_file(root, suffix=".txt", backend_args=storage.args)
    with pytest.raises(TypeError, match="suffix"):
        fileio.list_dir_or_file(root, list_dir=False, suffix=[".txt"], backend_args=storage.args)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        fileio.list_dir_or_file(storage.path("absent"), backend_args=storage.args)
    with pytest.raises(NotADirectoryError):
        fileio.list_dir_or_file(storage.path("tree", "a.txt"), backend_args=storage.args)


def test_copyfile_and_copytree(storage):
    root = make_tree(storage)
    args = storage.args
    dst = fileio.copyfile(storage.path("tree", "a.txt"), storage.path("copy", "a2.txt"), backend_args=args)
    assert dst == storage.path("copy", "a2.txt")
    assert fileio.get(dst, backend_args=args) == b"alpha"
    into = fileio.copyfile(storage.path("tree", "sub", "c.txt"), storage.path("copy"), backend_args=args)
    assert into == storage.path("copy", "c.txt")
    assert fileio.get(into, backend_args=args) == b"gamma"
    tree2 = fileio.copytree(root, storage.path("tree2"), backend_args=args)
    assert sorted(fileio.list_dir_or_file(tree2, list_dir=False, recursive=True, backend_args=args)) == sorted(TREE)
    assert fileio.get(storage.path("tree2", "sub", "deep", "e.bin"), backend_args=args) == b"\x00\x01"
    with pytest.raises(FileExistsError):
        fileio.copytree(root, tree2, backend_args=args)
    with pytest.raises(FileNotFoundError):
        fileio.copytree(storage.path("absent"), storage.path("t3"), backend_args=args)


def test_copy_from_and_to_local(storage, tmp_path):
    args = storage.args
    local_dir = tmp_path / "local_src"
    (local_dir / "n" / "m").mkdir(parents=True)
    (local_dir / "top.txt").write_bytes(b"top")
    (local_dir / "n" / "m" / "leaf.bin").write_bytes(b"leaf" * 1000)
    up = fileio.copyfile_from_local(local_dir / "top.txt", storage.path("up", "top.txt"), backend_args=args)
    assert fileio.get(up, backend_args=args) == b"top"
    into = fileio.copyfile_from_local(str(local_dir / "top.txt"), storage.path("up") + "/", backend_args=args)
    assert into.rstrip("/").endswith("up/top.txt")
    with pytest.raises(FileNotFoundError):
        fileio.copyfile_from_local(tmp_path / "absent.txt", storage.path("up", "x"), backend_args=args)
    tree = fileio.copytree_from_local(local_dir, storage.path("uptree"), backend_args=args)
    assert sorted(fileio.list_dir_or_file(tree, list_dir=False, recursive=True, backend_args=args)) == [
        "n/m/leaf.bin", "top.txt",
    ]
    down = fileio.copyfile_to_local(storage.path("uptree", "n", "m", "leaf.bin"), tmp_path / "down.bin", backend_args=args)
    assert Path(down).read_bytes() == b"leaf" * 1000
    (tmp_path / "downdir").mkdir()
    down2 = fileio.copyfile_to_local(storage.path("uptree", "top.txt"), tmp_path / "downdir", backend_args=args)
    assert down2 == os.path.join(tmp_path / "downdir", "top.txt")
    assert Path(down2).read_bytes() == b"top"
    local_tree = fileio.copytree_to_local(tree, tmp_path / "downtree", backend_args=args)
    assert (tmp_path / "downtree" / "n" / "m" / "leaf.bin").read_bytes() == b"leaf" * 1000
    assert os.fspath(local_tree) == os.fspath(tmp_path / "downtree")
    with pytest.raises(FileExistsError):
        fileio.copytree_to_local(tree, tmp_path / "downtree", backend_args=args)


def test_remove_and_rmtree(storage):
    root = make_tree(storage)
    args = storage.args
    fileio.remove(storage.path("tree", "a.txt"), backend_args=args)
    assert not fileio.exists(storage.path("tree", "a.txt"), backend_args=args)
    with pytest.raises(FileNotFoundError):
        fileio.remove(storage.path("tree", "a.txt"), backend_args=args)
    with pytest.raises(IsADirectoryError):
        fileio.remove(storage.path("tree", "sub"), backend_args=args)
    fileio.rmtree(storage.path("tree", "sub"), backend_args=args)
    assert not fileio.exists(storage.path("tree", "sub"), backend_args=args)
    assert sorted(fileio.list_dir_or_file(root, backend_args=args)) == ["b.json"]
    with pytest.raises(FileNotFoundError):
        fileio.rmtree(storage.path("tree", "sub"), backend_args=args)


def test_get_local_path(storage):
    path = storage.path("lp", "weights.bin")
    fileio.put(b"w" * 4096, path, backend_args=storage.args)
    with fileio.get_local_path(path, backend_args=storage.args) as local:
        assert os.path.isfile(local)
        assert Path(local).read_bytes() == b"w" * 4096
    if storage.kind == "local":
        assert os.path.isfile(local)
    else:
        assert not os.path.exists(local)  # the downloaded copy is gone
    with pytest.raises(FileNotFoundError):
        with fileio.get_local_path(storage.path("lp", "absent.bin"), backend_args=storage.args):
            pass


def test_copy_if_symlink_fails(storage):
    src = storage.path("sl", "src.txt")
    fileio.put(b"s", src, backend_args=storage.args)
    linked = fileio.copy_if_symlink_fails(src, storage.path("sl", "dst.txt"), backend_args=storage.args)
    assert linked is (storage.kind == "local")
    assert fileio.get(storage.path("sl", "dst.txt"), backend_args=storage.args) == b"s"


@pytest.mark.parametrize("fmt", ["json", "yaml", "yml", "pickle", "pkl"])
def test_load_dump_each_format(storage, fmt):
    obj = {"name": "mme", "layers": [1, 2, 3], "nested": {"lr": 0.1, "ok": True}}
    path = storage.path("cfg", f"obj.{fmt}")
    assert fileio.dump(obj, path, backend_args=storage.args) is None
    assert fileio.load(path, backend_args=storage.args) == obj
    no_ext = storage.path("cfg", f"obj_{fmt}")
    fileio.dump(obj, no_ext, file_format=fmt, backend_args=storage.args)
    assert fileio.load(no_ext, file_format=fmt, backend_args=storage.args) == obj


def test_list_and_dict_from_file(storage):
    path = storage.path("lists", "l.txt")
    fileio.put_text("a\nb\r\nc\nd\n", path, backend_args=storage.args)
    assert fileio.list_from_file(path, backend_args=storage.args) == ["a", "b", "c", "d"]
    assert fileio.list_from_file(path, prefix="p/", offset=1, max_num=2, backend_args=storage.args) == ["p/b", "p/c"]
    dpath = storage.path("lists", "d.txt")
    fileio.put_text("1 cat\n2 dog cow\n\n3 x\n", dpath, backend_args=storage.args)
    assert fileio.dict_from_file(dpath, key_type=int, backend_args=storage.args) == {1: "cat", 2: ["dog", "cow"], 3: "x"}


def test_path_mapping(storage):
    args = dict(storage.args or {})
    args["path_mapping"] = {"mapped-data/": storage.path("real") + "/"}
    fileio.put(b"via mapping", "mapped-data/sample.bin", backend_args=args)
    assert fileio.get(storage.path("real", "sample.bin"), backend_args=storage.args) == b"via mapping"
    assert fileio.exists("mapped-data/sample.bin", backend_args=args)
    assert list(fileio.list_dir_or_file("mapped-data/", backend_args=args)) == ["sample.bin"]
