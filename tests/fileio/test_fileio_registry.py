"""The backend registry: prefixes (longest wins), names, singletons and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from mme import fileio
from mme.fileio import BaseStorageBackend, get_file_backend, register_backend


class _DictBackend(BaseStorageBackend):
    """A tiny in-process backend, proving the five primitives are enough."""

    def __init__(self, path_mapping=None, tag="") -> None:
        super().__init__(path_mapping)
        self.tag = tag
        self.files: dict[str, bytes] = {}

    def _get(self, path):
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    def _put(self, data, path):
        self.files[path] = bytes(data)

    def _isfile(self, path):
        return path in self.files

    def _isdir(self, path):
        return any(k.startswith(path.rstrip("/") + "/") for k in self.files)

    def _remove(self, path):
        del self.files[path]

    def _iter_dir(self, path):
        prefix = path.rstrip("/") + "/"
        children = {k[len(prefix) :].split("/", 1)[0]: "/" in k[len(prefix) :] for k in self.files if k.startswith(prefix)}
        return iter(children.items())


@pytest.fixture
def restore_registry():
    import mme.fileio._registry as reg

    saved = (dict(reg._backends), dict(reg._prefixes), dict(reg._instances))
    yield
    for table, old in zip((reg._backends, reg._prefixes, reg._instances), saved):
        table.clear()
        table.update(old)


def test_builtin_prefixes():
    assert isinstance(get_file_backend("/tmp/x"), fileio.LocalBackend)
    assert isinstance(get_file_backend("relative/x"), fileio.LocalBackend)
    assert isinstance(get_file_backend("file:///tmp/x"), fileio.LocalBackend)
    assert isinstance(get_file_backend("s3://bucket/key"), fileio.S3Backend)
    assert type(get_file_backend("memory://a/b")) is fileio.FsspecBackend
    assert isinstance(get_file_backend("https://example.com/w.pth"), fileio.HTTPBackend)
    assert type(get_file_backend("gcs://bucket/key")) is fileio.FsspecBackend  # any fsspec protocol
    assert isinstance(get_file_backend(backend_args={"backend": "local"}), fileio.LocalBackend)
    assert {"local", "s3", "http", "fsspec"} <= set(fileio.registered_backends())
    assert "s3://" in fileio.registered_prefixes()


def test_register_longest_prefix_wins_and_decorator(restore_registry):
    register_backend("dictfs", _DictBackend, prefixes="dictfs")

    @register_backend("special", prefixes=["dictfs://special/"])
    class Special(_DictBackend):
        pass

    assert type(get_file_backend("dictfs://x/y")) is _DictBackend
    assert type(get_file_backend("dictfs://special/y")) is Special
    assert type(get_file_backend("dictfs://specialist/y")) is _DictBackend

    backend = get_file_backend("dictfs://root/a", backend_args={"tag": "t"})
    backend.put(b"1", "dictfs://root/a/b.txt")
    backend.put_text("2", "dictfs://root/a/c/d.txt")
    assert backend.get("dictfs://root/a/b.txt") == b"1"
    assert list(backend.list_dir_or_file("dictfs://root/a", recursive=True)) == ["b.txt", "c", "c/d.txt"]
    backend.copytree("dictfs://root/a", "dictfs://root/z")
    assert backend.get_text("dictfs://root/z/c/d.txt") == "2"
    with backend.get_local_path("dictfs://root/z/b.txt") as local:
        assert Path(local).read_bytes() == b"1"
    backend.rmtree("dictfs://root/z")
    assert not backend.exists("dictfs://root/z")


def test_register_conflicts_and_force(restore_registry):
    register_backend("dictfs", _DictBackend, prefixes="dictfs")
    with pytest.raises(fileio.BackendRegistrationError, match="already registered") as info:
        register_backend("dictfs", _DictBackend)
    assert isinstance(info.value, KeyError)
    with pytest.raises(KeyError, match="prefix 'dictfs://' already belongs"):
        register_backend("other", _DictBackend, prefixes="dictfs")

    class Newer(_DictBackend):
        pass

    register_backend("dictfs", Newer, force=True, prefixes="dictfs")
    assert type(get_file_backend("dictfs://x")) is Newer


def test_singleton():
    a = get_file_backend("memory://x", enable_singleton=True)
    assert get_file_backend("memory://y", enable_singleton=True) is a
    assert get_file_backend("memory://x", enable_singleton=False) is not a
    b = get_file_backend("memory://x", backend_args={"path_mapping": {"p": "q"}}, enable_singleton=True)
    assert b is not a


def test_registry_bad_input(restore_registry):
    with pytest.raises(TypeError, match="subclass of BaseStorageBackend"):
        register_backend("bad", dict)
    with pytest.raises(TypeError, match="non-empty str"):
        register_backend("", _DictBackend)
    with pytest.raises(TypeError, match="prefixes"):
        register_backend("bad", _DictBackend, prefixes=[1])
    with pytest.raises(fileio.UnknownBackendError, match="no storage backend for nosuchproto://"):
        get_file_backend("nosuchproto://x")
    with pytest.raises(ValueError, match="'nosuch' is not registered"):
        get_file_backend(backend_args={"backend": "nosuch"})
    with pytest.raises(ValueError, match="needs a uri"):
        get_file_backend()
    with pytest.raises(TypeError, match="backend_args must be a dict"):
        get_file_backend("/tmp/x", backend_args=["local"])
    with pytest.raises(TypeError, match="path_mapping must be a dict"):
        get_file_backend("/tmp/x", backend_args={"path_mapping": [("a", "b")]})
    with pytest.raises(TypeError, match="a path must be str"):
        fileio.get(123)  # type: ignore[arg-type]
