"""Fixtures of the hook tests: a real S3 server (moto) on loopback."""

from __future__ import annotations

import logging

import pytest

from hooks_support import BUCKET, s3_args


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free loopback port with one bucket."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"
    boto3.client("s3", **s3_args(endpoint)).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    werkzeug.setLevel(level)
