"""Real nginx from deploy/gateway.sh in front of a stand-in service, for the gateway tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder(BaseHTTPRequestHandler):
    """Stand-in service: echoes what reached it; /status/<n> answers with that status."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status = int(self.path.rsplit("/", 1)[-1]) if "/status/" in self.path else 200
        payload = json.dumps({"method": self.command, "path": self.path, "body": body,
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Correlation-ID", "set-by-the-service")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_OPTIONS = _answer

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@contextmanager
def running_gateway(tmp_path: Path, **settings: str) -> Iterator[tuple[int, str]]:
    """nginx from deploy/gateway.sh in front of the Recorder (users, events) and a closed port (the rest)."""
    if NGINX is None:
        pytest.skip("nginx is not installed (deploy/gateway.sh install)")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    users = f"127.0.0.1:{upstream.server_address[1]}"
    closed = f"127.0.0.1:{free_port()}"  # nothing listens here: a service that is down
    port = free_port()
    env = {**os.environ, "EP_PROFILE": "test", "EP_DATA": str(tmp_path),
           "GATEWAY_PORT": str(port), "USERS_UPSTREAM": users, "EVENTS_UPSTREAM": users,
           "BOOKINGS_UPSTREAM": closed, "PAYMENTS_UPSTREAM": closed, "NOTIFICATIONS_UPSTREAM": closed, **settings}
    proc = subprocess.Popen(["bash", str(ROOT / "deploy/gateway.sh")], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as probe:
            while True:
                try:
                    if probe.get("/health/gateway").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gateway did not start:\n{proc.stdout.read().decode() if proc.stdout else ''}")
                time.sleep(0.1)
        yield port, users
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        upstream.shutdown()


@pytest.fixture(scope="module")
def start_gateway() -> Callable[..., AbstractContextManager[tuple[int, str]]]:
    """`with start_gateway(tmp_path, GATEWAY_IP_RATE=...) as (port, upstream):` a gateway of its own."""
    return running_gateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[httpx.Client]:
    with running_gateway(tmp_path_factory.mktemp("gw")) as (port, _), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        yield client
