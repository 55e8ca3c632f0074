"""A real headless Chromium (Debian's package, deploy/chromium.sh) driven over the DevTools protocol.

Not playwright: its browsers are downloaded from the internet, which CI does not have; the DevTools protocol
over a websocket is all the tests need. The browser reaches nothing but loopback: every other host name fails
to resolve and every other address goes to a closed proxy, so a page that needs a CDN renders blank here.
Every URL the page requested is recorded, so a test can also say what it tried to reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class BrowserError(RuntimeError):
    """The DevTools protocol answered with an error, or a page script threw."""


def chromium_binary() -> str | None:
    """The Chromium to use: $CHROMIUM, else deploy/chromium.sh's (installing it if missing and allowed)."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    result = subprocess.run(["bash", str(ROOT / "deploy/chromium.sh"), "install"], capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else None


def require_chromium() -> str:
    """The binary, or a loud skip (a failure under CI, where the test must run) saying why there is none."""
    binary = chromium_binary()
    if binary is None:
        reason = ("NO HEADLESS BROWSER: chromium is not installed and `bash deploy/chromium.sh install` could not "
                  "install it (apt-get needs root or sudo and the Debian mirrors); the offline docs render test "
                  "did NOT run")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


class Page:
    """One tab, attached through the browser's websocket (flattened session)."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.console_errors: list[str] = []

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, session=self.session)

    def close(self) -> None:
        self.browser.pages.pop(self.session, None)
        self.browser.call("Target.closeTarget", {"targetId": self.target})

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        """Poll a JavaScript expression until it is truthy; its value (the timeout only guards a hang)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression!r} stayed falsy for {timeout:.0f} s; requests: {self.requests}; "
                                     f"failed: {self.failures}; console errors: {self.console_errors}")
            time.sleep(0.2)

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.failures.append(f"{params.get('errorText')} ({params.get('requestId')})")
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(str(params.get("exceptionDetails", {}).get("text")))


class Browser:
    """A Chromium process and its DevTools websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next_id = 0
        self.pages: dict[str, Page] = {}

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=START_TIMEOUT))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            page = self.pages.get(reply.get("sessionId", ""))
            if page is not None and "method" in reply:
                page._event(reply["method"], reply.get("params", {}))

    def new_page(self) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self.pages[session] = Page(self, target, session)
        for domain in ("Page", "Network", "Runtime"):
            page.call(f"{domain}.enable")
        return page


@contextmanager
def chromium(binary: str, *, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Iterator[Browser]:
    """A headless Chromium that can reach only `allowed_hosts` (loopback)."""
    with tempfile.TemporaryDirectory(prefix="ep-chromium-") as profile:
        rules = "MAP * ~NOTFOUND, " + ", ".join(f"EXCLUDE {host}" for host in allowed_hosts)
        args = [binary, "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--remote-debugging-port=0", f"--host-resolver-rules={rules}",
                # Any address that is not loopback goes to a closed port (loopback bypasses proxies).
                "--proxy-server=http://127.0.0.1:9", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + START_TIMEOUT
            while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chromium did not start (exit code {proc.poll()})")
                time.sleep(0.1)
            port, path = port_file.read_text().split()[:2]
            with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=START_TIMEOUT) as ws:
                yield Browser(ws)
        finally:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
