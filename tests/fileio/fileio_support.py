"""Helpers of the mme.fileio tests: moto credentials, a plain boto3 client, and a
fault-injecting HTTP proxy (a uniquely named module, imported by the tests and conftest)."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BUCKET = "mme-test"
FAKE_KEY_ID = "AKIAMMETESTKEY000000"
FAKE_SECRET = "mme-secret-do-not-print-0123456789"


def raw_client(endpoint: str):
    """A plain boto3 client on ``endpoint``, for checks that bypass mme."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        region_name="us-east-1",
    )


def s3_args(endpoint: str, **extra: Any) -> dict[str, Any]:
    """backend_args reaching the moto server with fake credentials."""
    return dict(
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        region_name="us-east-1",
        addressing_style="path",
        backoff_base=0.01,
        backoff_max=0.1,
        **extra,
    )


# ---------------------------------------------------------------------------------- fault proxy
_XML = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{msg}</Message></Error>'
# What happens to the first attempts of each distinct request, cycled over the requests seen.
FAULT_PLANS = (
    (),
    ("503",),
    ("drop",),
    ("slowdown", "drop_after"),
    ("drop_after",),
    ("truncate",),
    ("503", "503"),
)


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 that fails a share of requests on their way to S3.

    Each distinct request (method, path with query, Range) gets the next plan of
    ``FAULT_PLANS``: its first attempts answer 503/SlowDown, drop the connection before or after
    the server handled it, or cut the response body short; later attempts pass. Paths for which
    ``forbid(method, path)`` holds always get 403 AccessDenied.
    """

    def __init__(self, upstream_port: int, faults: bool = True, forbid=None) -> None:
        self.upstream_port = upstream_port
        self.faults = faults
        self.forbid = forbid
        self.lock = threading.Lock()
        self.plans: dict[tuple, list[str]] = {}
        self.injected: Counter[str] = Counter()
        self.requests: Counter[tuple] = Counter()
        self._next = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _action(self, key: tuple) -> str:
        with self.lock:
            self.requests[key] += 1
            if not self.faults:
                return "pass"
            if key not in self.plans:
                self.plans[key] = list(FAULT_PLANS[self._next % len(FAULT_PLANS)])
                self._next += 1
            plan = self.plans[key]
            action = plan.pop(0) if plan else "pass"
            if action == "truncate" and key[0] != "GET":
                action = "drop_after"
            if action != "pass":
                self.injected[action] += 1
            return action

    @staticmethod
    def _read_body(h: BaseHTTPRequestHandler) -> bytes:
        if "chunked" in h.headers.get("Transfer-Encoding", ""):
            chunks = []
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(h.rfile.read(size))
                h.rfile.readline()
        length = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(length) if length else b""

    @staticmethod
    def _reply_error(h: BaseHTTPRequestHandler, status: int, code: str) -> None:
        body = _XML.format(code=code, msg="injected by the test proxy").encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = self._read_body(h)
        key = (h.command, h.path, h.headers.get("Range"))
        if self.forbid is not None and self.forbid(h.command, h.path):
            with self.lock:
                self.requests[key] += 1
            self._reply_error(h, 403, "AccessDenied")
            return
        action = self._action(key)
        if action in ("503", "slowdown"):
            self._reply_error(h, 503, "SlowDown" if action == "slowdown" else "ServiceUnavailable")
            return
        if action == "drop":
            h.close_connection = True
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("expect", "connection", "transfer-encoding")}
        if "chunked" in h.headers.get("Transfer-Encoding", ""):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, resp_headers = resp.status, resp.reason, resp.getheaders()
        finally:
            conn.close()
        if action == "drop_after":
            h.close_connection = True
            return
        h.send_response(status, reason)
        for name, value in resp_headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                h.send_header(name, value)
        length = {k.lower(): v for k, v in resp_headers}.get("content-length", str(len(data)))
        h.send_header("Content-Length", length if h.command == "HEAD" else str(len(data)))
        h.end_headers()
        if h.command == "HEAD":
            return
        if action == "truncate" and len(data) > 1:
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(data)
