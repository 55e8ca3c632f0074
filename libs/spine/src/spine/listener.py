"""The worker's small HTTP listener: `/metrics`, `/health` and `/health/detail` on `WORKER_PORT`.

A worker has no web framework of its own, so this is a WSGI server (the standard library's, as
`prometheus_client.start_http_server` uses) on a daemon thread: a scrape never waits for the worker's event
loop, and the loop never waits for a scrape. Health answers from the worker's last liveness check.

The port is internal (loopback locally, the services' network in containers). The gateway exposes it only
to admins (`/metrics/<service>-worker`, `/health/<service>-worker`, checked with `auth_request`); a
supervisor polls `/health` directly: `{"status": ...}`, 200 while ok or degraded, 503 when unhealthy.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from spine.metrics import exposition

log = logging.getLogger("spine.listener")

Readout = Callable[[], dict[str, Any]]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the stdlib's signature
        """Scrapes every few seconds would drown the log."""


def wsgi_app(readout: Readout) -> Callable:
    """The routes; `readout()` is the worker's detailed health (with `status`)."""

    def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        if path == "/metrics":
            body, content_type = exposition()
            status = "200 OK"
        elif path in ("/health", "/health/detail"):
            report = readout()
            if path == "/health":
                report = {"status": report["status"]}
            body, content_type = json.dumps(report, default=str).encode(), "application/json"
            status = "503 Service Unavailable" if report["status"] == "unhealthy" else "200 OK"
        else:
            body, content_type = b'{"title":"Not Found","status":404}', "application/problem+json"
            status = "404 Not Found"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [b"" if method == "HEAD" else body]

    return app


class Listener:
    """Serves `wsgi_app(readout)` on host:port from a daemon thread until `close()`."""

    def __init__(self, host: str, port: int, readout: Readout):
        self.server = make_server(host, port, wsgi_app(readout), server_class=_Server, handler_class=_Quiet)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"listener:{port}", daemon=True)
        self.thread.start()
        log.info("worker listener on http://%s:%s (/metrics, /health)", host, self.port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
