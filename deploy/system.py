"""Start and stop the whole system (every Procfile process under honcho) for benchmarks and system tests.

    with System(profile="test") as system:
        system.client  # an httpx.Client on the gateway

`without=` leaves Procfile processes out (a test can then run them itself, e.g. to kill and restart workers);
`procfile="Procfile.split"` runs the split layout (api and worker of each service as separate processes)
instead of the default one process a service.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("users", "events", "bookings", "payments")


def profile_env(profile: str = "test") -> dict[str, str]:
    """The environment deploy/env.sh exports for a profile (keeping overrides already set)."""
    env = {**os.environ, "EP_PROFILE": profile}
    out = subprocess.run(["bash", "-c", "source deploy/env.sh && env -0"], cwd=ROOT, env=env,
                         capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


class System:
    """The system of one profile, started by honcho from the Procfile (minus `without`)."""

    def __init__(self, profile: str = "test", *, without: tuple[str, ...] = (), start_timeout: float = 120.0,
                 procfile: str = "Procfile"):
        self.env = profile_env(profile)
        self.without = without
        self.procfile = ROOT / procfile
        self.start_timeout = start_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix="ep-system-"))
        self.log = self.workdir / "honcho.log"
        self.proc: subprocess.Popen | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.env['GATEWAY_PORT']}", timeout=30)

    def __enter__(self) -> System:
        for script in ("deploy/postgres.sh", "deploy/kafka.sh"):
            subprocess.run(["bash", script, "up"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        lines = [line for line in self.procfile.read_text().splitlines()
                 if line.strip() and line.split(":", 1)[0] not in self.without]
        procfile = self.workdir / "Procfile"
        procfile.write_text("\n".join(lines) + "\n")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([str(ROOT / ".venv/bin/honcho"), "start", "--no-colour", "-f", str(procfile),
                                          "-d", str(ROOT)], cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_healthy()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        pending = [f"/health/{s}" for s in SERVICES if not {f"{s}-api", f"{s}-service"} <= set(self.without)]
        while pending:
            try:
                if self.client.get(pending[0], timeout=2).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"system did not start ({pending}):\n{self.tail()}")
            time.sleep(0.3)

    def tail(self, lines: int = 150) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
