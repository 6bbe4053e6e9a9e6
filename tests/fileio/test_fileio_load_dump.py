"""load/dump with file objects and strings, register_handler, and bad input."""

from __future__ import annotations

import io

import pytest
from mme import fileio
from mme.fileio import BaseFileHandler, dump, load, register_handler


def test_dump_to_str_and_file_objects(tmp_path):
    obj = {"a": [1, 2], "b": {"c": "d"}}
    assert load(io.StringIO(dump(obj, file_format="json")), file_format="json") == obj
    assert load(io.StringIO(dump(obj, file_format="yaml")), file_format="yaml") == obj
    assert load(io.BytesIO(dump(obj, file_format="pickle")), file_format="pickle") == obj
    buf = io.StringIO()
    dump(obj, buf, file_format="json")
    assert load(io.StringIO(buf.getvalue()), file_format="json") == obj
    with open(tmp_path / "o.pkl", "wb") as f:
        dump(obj, f, file_format="pkl")
    with open(tmp_path / "o.pkl", "rb") as f:
        assert load(f, file_format="pkl") == obj
    dump(obj, tmp_path / "p.yaml")  # pathlib paths
    assert load(tmp_path / "p.yaml") == obj


def test_json_handles_sets_tuples_and_yaml_tuples(tmp_path):
    assert load(io.StringIO(dump({"s": {3}, "r": range(2)}, file_format="json")), file_format="json") == {
        "s": [3],
        "r": [0, 1],
    }
    dump({"t": (1, 2)}, tmp_path / "t.yml")
    assert load(tmp_path / "t.yml") == {"t": (1, 2)}


def test_register_handler(tmp_path):
    @register_handler(["upper", "up"])
    class UpperHandler(BaseFileHandler):
        def load_from_fileobj(self, file, **kwargs):
            return file.read().lower()

        def dump_to_fileobj(self, obj, file, **kwargs):
            file.write(obj.upper())

        def dump_to_str(self, obj, **kwargs):
            return obj.upper()

    try:
        dump("hello", tmp_path / "x.upper")
        assert (tmp_path / "x.upper").read_text() == "HELLO"
        assert load(tmp_path / "x.upper") == "hello"
        assert dump("a", file_format="up") == "A"
    finally:
        fileio.file_handlers.pop("upper")
        fileio.file_handlers.pop("up")
    with pytest.raises(TypeError, match="BaseFileHandler subclasses"):
        register_handler("x")(dict)
    with pytest.raises(TypeError, match="file_formats"):
        register_handler(3)(UpperHandler)


def test_load_dump_bad_input(tmp_path):
    with pytest.raises(fileio.UnsupportedFormatError, match="unsupported file format 'toml'") as info:
        load(tmp_path / "x.toml")
    assert isinstance(info.value, TypeError)
    with pytest.raises(TypeError, match="unsupported file format"):
        dump({}, tmp_path / "x.unknownfmt")
    with pytest.raises(ValueError, match="file_format must be given"):
        dump({})
    with pytest.raises(ValueError, match="file_format must be given"):
        load(io.StringIO("{}"))
    with pytest.raises(TypeError, match="must be a path, URI or file object"):
        load(123, file_format="json")
    with pytest.raises(TypeError, match="must be a path, URI, file object or None"):
        dump({}, 123, file_format="json")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.json")


def test_file_client_args_is_deprecated_alias(tmp_path):
    path = str(tmp_path / "a.json")
    dump([1], path)
    with pytest.warns(DeprecationWarning, match="file_client_args is deprecated"):
        assert load(path, file_client_args={"backend": "disk"}) == [1]
    with pytest.raises(ValueError, match="not both"):
        load(path, file_client_args={}, backend_args={})


def test_dict_from_file_bad_lines(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("1 a\n2\n")
    with pytest.raises(ValueError, match=r"d.txt:2 has a key but no value"):
        fileio.dict_from_file(path)
    path.write_text("x a\n")
    with pytest.raises(ValueError, match=r"d.txt:1: key 'x' is not a int"):
        fileio.dict_from_file(path, key_type=int)
