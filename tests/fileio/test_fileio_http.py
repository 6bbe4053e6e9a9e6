"""http(s):// through fsspec, against a real HTTP server on loopback (needs aiohttp)."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mme import fileio


@pytest.fixture
def http_root(tmp_path):
    pytest.importorskip("aiohttp", reason="fsspec's http:// needs aiohttp")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_read_only(http_root, tmp_path):
    (tmp_path / "cfg.json").write_text('{"lr": 0.1}')
    (tmp_path / "w.bin").write_bytes(b"weights")
    assert fileio.get(f"{http_root}/w.bin") == b"weights"
    assert fileio.load(f"{http_root}/cfg.json") == {"lr": 0.1}
    assert fileio.isfile(f"{http_root}/w.bin")
    assert not fileio.exists(f"{http_root}/absent.bin")
    with fileio.get_local_path(f"{http_root}/w.bin") as local:
        assert Path(local).read_bytes() == b"weights"
    with pytest.raises(FileNotFoundError):
        fileio.get(f"{http_root}/absent.bin")
    with pytest.raises(fileio.UnsupportedOperationError, match="cannot write over HTTP"):
        fileio.put(b"x", f"{http_root}/new.bin")
