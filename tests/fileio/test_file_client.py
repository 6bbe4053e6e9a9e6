"""FileClient, the optional backends (LMDB for real, Petrel through a fake client) and the registry views."""

from __future__ import annotations

import json
import sys
import types

import pytest
from mme import fileio
from mme.fileio import FileClient, LmdbBackend, LocalBackend, MemcachedBackend, PetrelBackend
from mme.fileio._handlers import set_default
from mme.fileio._registry import backend_instances, backends, prefix_to_backends

pytestmark = pytest.mark.filterwarnings("ignore:\"FileClient\" is deprecated:DeprecationWarning")


def test_file_client_disk_reads_writes_and_is_a_singleton(tmp_path):
    with pytest.warns(DeprecationWarning, match="FileClient"):
        client = FileClient("disk")
    assert client is FileClient() and client is FileClient(backend="disk")
    assert client.name == "LocalBackend" and client.allow_symlink
    path = tmp_path / "a" / "b.txt"
    client.put_text("hi", path)
    client.put(b"\x00\x01", tmp_path / "c.bin")
    assert client.get_text(path) == "hi" and client.get(tmp_path / "c.bin") == b"\x00\x01"
    assert client.exists(path) and client.isfile(path) and client.isdir(tmp_path / "a")
    assert client.join_path(str(tmp_path), "a", "b.txt") == str(path)
    with client.get_local_path(path) as local:
        assert open(local).read() == "hi"
    assert sorted(client.list_dir_or_file(tmp_path, recursive=True)) == ["a", "a/b.txt", "c.bin"]
    client.remove(path)
    assert not client.exists(path)


def test_file_client_by_prefix_and_infer_client():
    assert FileClient(prefix="http").name == "HTTPBackend"
    assert FileClient(prefix="s3").name == "S3Backend"
    assert FileClient.parse_uri_prefix("s3://bucket/key") == "s3"
    assert FileClient.parse_uri_prefix("cluster:s3://bucket/key") == "s3"
    assert FileClient.parse_uri_prefix("/a/b") is None
    assert FileClient.infer_client(uri="/tmp/x").name == "LocalBackend"
    assert FileClient.infer_client(uri="https://host/x").name == "HTTPBackend"
    assert FileClient.infer_client({"backend": "disk"}) is FileClient("disk")
    with pytest.raises(ValueError, match="needs file_client_args or a uri"):
        FileClient.infer_client()
    with pytest.raises(TypeError, match="str or Path"):
        FileClient.parse_uri_prefix(3)


def test_file_client_refuses_unknown_backends_and_prefixes():
    with pytest.raises(ValueError, match="Backend nope is not supported.*'disk'"):
        FileClient("nope")
    with pytest.raises(ValueError, match="prefix nope is not supported.*'s3'"):
        FileClient(prefix="nope")


def test_file_client_register_backend(tmp_path):
    class Mine(LocalBackend):
        pass

    try:
        FileClient.register_backend("mine-test", Mine, prefixes="minetest")
        assert FileClient("mine-test").name == "Mine" and FileClient(prefix="minetest").name == "Mine"
        with pytest.raises(KeyError, match="already registered"):
            FileClient.register_backend("mine-test", Mine)
        with pytest.raises(TypeError, match="subclass of BaseStorageBackend"):
            FileClient.register_backend("other-test", object)

        @FileClient.register_backend("mine-test", force=True)
        class Mine2(LocalBackend):
            pass

        assert FileClient("mine-test").name == "Mine2"  # the old singleton was dropped
    finally:
        FileClient._backends.pop("mine-test", None)
        FileClient._prefix_to_backends.pop("minetest", None)


def test_missing_client_packages_raise_import_errors_naming_them(monkeypatch):
    monkeypatch.setitem(sys.modules, "mc", None)
    monkeypatch.setitem(sys.modules, "petrel_client", None)
    monkeypatch.setitem(sys.modules, "petrel_client.client", None)
    with pytest.raises(ImportError, match="MemcachedBackend needs the 'mc' package"):
        MemcachedBackend("servers.cfg", "client.cfg")
    with pytest.raises(ImportError, match="PetrelBackend needs the 'petrel_client' package"):
        PetrelBackend()
    with pytest.raises(ImportError, match="PetrelBackend"):
        FileClient("petrel")
    monkeypatch.setitem(sys.modules, "lmdb", None)
    with pytest.raises(ImportError, match="LmdbBackend needs the 'lmdb' package.*pip install lmdb"):
        LmdbBackend("/nonexistent")


def test_lmdb_backend_reads_a_real_database(tmp_path):
    lmdb = pytest.importorskip("lmdb")
    env = lmdb.open(str(tmp_path / "db"), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"img/0001.png", b"\x89PNG-bytes")
        txn.put(b"label", b"cat")
    env.close()
    backend = fileio.get_file_backend(backend_args={"backend": "lmdb", "db_path": str(tmp_path / "db")})
    assert isinstance(backend, LmdbBackend)
    assert backend.get("img/0001.png") == b"\x89PNG-bytes" and backend.get("label") == b"cat"
    assert backend.exists("label") and not backend.exists("nope")
    with pytest.raises(FileNotFoundError, match="no key 'nope'"):
        backend.get("nope")
    with pytest.raises(NotImplementedError, match="use get"):
        backend.get_text("label")
    with pytest.raises(fileio.UnsupportedOperationError, match="read-only"):
        backend.put(b"x", "label")
    client = FileClient("lmdb", db_path=str(tmp_path / "db"))
    assert client.get("label") == b"cat" and client.name == "LmdbBackend"
    backend.close()
    assert backend.get("label") == b"cat"  # reopens


class _FakePetrelClient:
    def __init__(self, conf_path=None, enable_mc=True):
        self.store: dict[str, bytes] = {}
        self.args = (conf_path, enable_mc)

    def Get(self, path):  # noqa: N802 (petrel_client's names)
        return self.store.get(path)

    def put(self, path, data):
        self.store[path] = bytes(data)

    def contains(self, path):
        return path in self.store

    def isdir(self, path):
        prefix = path.rstrip("/") + "/"
        return any(k.startswith(prefix) for k in self.store)

    def delete(self, path):
        del self.store[path]

    def list(self, prefix):
        names = {k[len(prefix):].split("/", 1)[0] + ("/" if "/" in k[len(prefix):] else "")
                 for k in self.store if k.startswith(prefix)}
        return sorted(names)


def test_petrel_backend_through_a_fake_client(monkeypatch):
    pkg = types.ModuleType("petrel_client")
    mod = types.ModuleType("petrel_client.client")
    mod.Client = _FakePetrelClient
    monkeypatch.setitem(sys.modules, "petrel_client", pkg)
    monkeypatch.setitem(sys.modules, "petrel_client.client", mod)
    backend = fileio.get_file_backend("petrel://bucket/a.txt", backend_args={"enable_mc": False})
    assert isinstance(backend, PetrelBackend) and backend._client.args == (None, False)
    backend.put_text("hello", "petrel://bucket/dir/a.txt")
    assert backend._client.store == {"s3://bucket/dir/a.txt": b"hello"}  # petrel:// is the client's s3://
    assert backend.get_text("s3://bucket/dir/a.txt") == "hello"
    assert backend.isfile("petrel://bucket/dir/a.txt") and backend.isdir("petrel://bucket/dir")
    assert list(backend.list_dir_or_file("petrel://bucket", recursive=True)) == ["dir", "dir/a.txt"]
    backend.remove("petrel://bucket/dir/a.txt")
    assert not backend.exists("petrel://bucket/dir/a.txt")
    with pytest.raises(FileNotFoundError):
        backend.get("petrel://bucket/dir/a.txt")


def test_registry_views_follow_the_registry():
    assert backends["local"] is LocalBackend and backends["lmdb"] is LmdbBackend
    assert backends["memcached"] is MemcachedBackend and backends["petrel"] is PetrelBackend
    assert prefix_to_backends["file"] is LocalBackend and prefix_to_backends["petrel"] is PetrelBackend
    assert prefix_to_backends["s3"] is fileio.S3Backend and "s3" in prefix_to_backends
    with pytest.raises(TypeError):
        prefix_to_backends["x"] = LocalBackend  # read-only

    class ViewTest(LocalBackend):
        pass

    fileio.register_backend("view-test", ViewTest, prefixes="viewtest")
    try:
        assert backends["view-test"] is ViewTest and prefix_to_backends["viewtest"] is ViewTest
        one = fileio.get_file_backend("viewtest://x", enable_singleton=True)
        assert one in backend_instances.values()
    finally:
        backends.pop("view-test")
        fileio._registry._prefixes.pop("viewtest://")


def test_set_default_is_jsons_default():
    np = pytest.importorskip("numpy")
    assert set_default({1, 2}) == [1, 2] and set_default(range(3)) == [0, 1, 2]
    assert set_default(np.int64(3)) == 3 and set_default(np.array([1.5, 2.0])) == [1.5, 2.0]
    assert json.dumps({"a": {3}, "b": np.float32(2.0)}, default=set_default) == '{"a": [3], "b": 2.0}'
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        set_default(object())
