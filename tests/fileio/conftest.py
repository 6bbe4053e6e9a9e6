"""Fixtures of the mme.fileio tests: a real S3 server (moto) on loopback, a fault-injecting
HTTP proxy in front of it, and one ``storage`` fixture parametrized over every backend."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fileio_support import BUCKET, FaultProxy, raw_client, s3_args


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto S3 server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"
    raw_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    werkzeug.setLevel(level)


@dataclass
class Storage:
    """A fresh, empty directory on one backend."""

    kind: str
    root: str
    args: dict[str, Any] | None

    def path(self, *parts: str) -> str:
        sep = "/"
        return sep.join([self.root, *parts])


@pytest.fixture(params=["local", "memory", "s3"])
def storage(request, tmp_path) -> Storage:
    """The same contract, once per backend."""
    if request.param == "local":
        return Storage("local", str(tmp_path / "root"), None)
    if request.param == "memory":
        return Storage("memory", f"memory://mme-{uuid.uuid4().hex}", None)
    endpoint = request.getfixturevalue("moto_endpoint")
    return Storage("s3", f"s3://{BUCKET}/{uuid.uuid4().hex}", s3_args(endpoint))


@pytest.fixture
def fault_proxy(moto_endpoint):
    """A FaultProxy in front of the moto server; ``make(**kw)`` builds more."""
    port = int(moto_endpoint.rsplit(":", 1)[1])
    proxies: list[FaultProxy] = []

    def make(**kwargs: Any) -> FaultProxy:
        proxy = FaultProxy(port, **kwargs)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
