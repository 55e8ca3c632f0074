"""The whole system for e2e tests: every Procfile process under honcho (test profile), reached through the gateway.

Started once per session and only when an e2e test asks for it (`-m "not e2e"` never pays for it).
PostgreSQL and Kafka of the test profile are brought up first (idempotent: `make test` has already done it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
HEALTH = ("/health/users", "/health/events")


def profile_env() -> dict[str, str]:
    """The environment deploy/env.sh exports for the test profile (keeping any overrides already set)."""
    env = {**os.environ, "EP_PROFILE": "test"}
    out = subprocess.run(["bash", "-c", "source deploy/env.sh && env -0"], cwd=ROOT, env=env,
                         capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int = 200) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no output)"
    return "\n".join(text.splitlines()[-lines:])


def wait_healthy(client: httpx.Client, proc: subprocess.Popen, log: Path) -> None:
    """Block until every HEALTH path answers 200 through the gateway, or fail with honcho's output."""
    deadline = time.monotonic() + START_TIMEOUT
    pending = list(HEALTH)
    while pending:
        try:
            if client.get(pending[0], timeout=2).status_code == 200:
                pending.pop(0)
                continue
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"honcho exited with {proc.returncode} before the system was up:\n{tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{pending} did not answer within {START_TIMEOUT:.0f} s; honcho output:\n{tail(log)}")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to honcho, which stops its processes (each in its own session); SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def system_env() -> dict[str, str]:
    """Ports and addresses of the test profile, as the system under test sees them."""
    return profile_env()


@pytest.fixture(scope="session")
def gateway(system_env, tmp_path_factory) -> Iterator[httpx.Client]:
    """An httpx client whose base_url is the gateway of a freshly started system."""
    env = system_env
    port = int(env["GATEWAY_PORT"])
    for name in ("GATEWAY_PORT", "USERS_PORT", "EVENTS_PORT", "SMTP_PORT"):
        if port_taken(int(env[name])):
            pytest.fail(f"{name}={env[name]} is already in use: a system of the test profile is still running "
                        "(stop it, or set SERVICE_PORT_BASE/GATEWAY_PORT/SMTP_PORT to free ports)")
    for script in ("deploy/postgres.sh", "deploy/kafka.sh"):
        subprocess.run(["bash", script, "up"], cwd=ROOT, env=env, check=True, capture_output=True)

    log = tmp_path_factory.mktemp("e2e") / "honcho.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/honcho"), "start", "--no-colour", "-f", "Procfile", "-d", str(ROOT)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        wait_healthy(client, proc, log)
        yield client
    finally:
        client.close()
        stop(proc)
        if os.environ.get("E2E_SHOW_LOG"):
            print(f"\n--- honcho output ({log}) ---\n{tail(log, 400)}")
