"""The whole system for e2e tests (test profile), reached through the gateway.

Started once per session and only when an e2e test asks for it (`-m "not e2e"` never pays for it).
PostgreSQL and Kafka of the test profile are brought up first (idempotent: `make test` has already done it).

honcho runs every process of the Procfile (the default layout: a service's API and worker in one process)
except bookings, events and payments: those run as the session's own subprocesses (`Workers`) — events in
the same one-process layout, bookings and payments split into API and worker (the scale-out layout of
Procfile.split) — because the crash and fault tests SIGKILL and restart them, and honcho would stop the
whole system as soon as one of its processes died.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # e2e_support: the client helpers the tests share

from e2e_support import (  # noqa: E402
    BOOKINGS_PROCESSES,
    NOT_FROM_PROCFILE,
    OWN_PROCESSES,
    Platform,
    Workers,
    stop_group,
    tail,
)

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
HEALTH = ("/health/users", "/health/events", "/health/bookings", "/health/payments", "/health/notifications")


def profile_env() -> dict[str, str]:
    """The environment deploy/env.sh exports for the test profile (keeping any overrides already set)."""
    env = {**os.environ, "EP_PROFILE": "test"}
    out = subprocess.run(["bash", "-c", "source deploy/env.sh && env -0"], cwd=ROOT, env=env,
                         capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


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
        time.sleep(0.2)


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked `disruptive` (admin-rights fuzzing; `last=True`: infrastructure restarts) run after all
    others, so no other test sees their aftermath (a stable sort keeps everyone else's order)."""
    def order(item) -> tuple[bool, bool]:
        mark = item.get_closest_marker("disruptive")
        return mark is not None, bool(mark and mark.kwargs.get("last"))

    items.sort(key=order)


@pytest.fixture(scope="session")
def system_env() -> dict[str, str]:
    """Ports and addresses of the test profile, as the system under test sees them."""
    return profile_env()


@pytest.fixture(scope="session")
def workers(gateway_and_workers) -> Workers:
    """The bookings, events and payments workers of the running system (for tests that crash them)."""
    return gateway_and_workers[1]


def leases_on(value: str | None) -> bool:
    """BOOKINGS_SEAT_LEASES as the bookings settings read it (unset: on, the default)."""
    return value is None or value.strip().lower() not in ("0", "false", "f", "no", "n", "off")


def wait_bookings_ready(client: httpx.Client, env: dict[str, str]) -> None:
    """Until the restarted bookings api answers through the gateway and its worker's listener is up (the
    worker opens it after its subscriptions started)."""
    deadline = time.monotonic() + START_TIMEOUT
    worker = f"http://127.0.0.1:{env['BOOKINGS_WORKER_PORT']}/health"
    probes = [lambda: client.get("/health/bookings", timeout=2).status_code == 200,
              lambda: httpx.get(worker, timeout=2).status_code > 0]  # any answer: the listener is up
    while probes:
        try:
            if probes[0]():
                probes.pop(0)
                continue
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"bookings did not come back within {START_TIMEOUT:.0f} s after a restart")
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def seat_leases(request) -> bool | None:
    """Bookings' seat leases for this test, switched only when it differs from the running system's (bookings'
    api and worker are restarted; their later crash restarts keep it). A test parametrized with
    `e2e_support.BOTH_LEASE_SETTINGS` (or `LEASES_OFF`) gets that setting; any other test that uses the system
    gets the session's own (BOOKINGS_SEAT_LEASES of the environment; unset: on, the default). Switching back
    happens lazily, at the next test that needs the other setting, so neighbouring tests pinned off share
    one restart. The value: True/False when parametrized, else None."""
    wanted: bool | None = getattr(request, "param", None)
    if "gateway_and_workers" not in request.fixturenames:
        return wanted
    workers: Workers = request.getfixturevalue("workers")
    target = {k: v for k, v in workers.overrides.items() if k != "BOOKINGS_SEAT_LEASES"}
    if wanted is not None:
        target["BOOKINGS_SEAT_LEASES"] = "true" if wanted else "false"
    now = leases_on(workers.setting("BOOKINGS_SEAT_LEASES"))
    then = leases_on({**workers.env, **target}.get("BOOKINGS_SEAT_LEASES"))
    if now == then:
        workers.overrides = target
        return wanted
    print(f"\nrestarting bookings with seat leases {'on' if then else 'off'}")
    workers.restart_with(BOOKINGS_PROCESSES, target)
    wait_bookings_ready(request.getfixturevalue("gateway"), request.getfixturevalue("system_env"))
    return wanted


@pytest.fixture(scope="session")
def gateway(gateway_and_workers) -> httpx.Client:
    """An httpx client whose base_url is the gateway of a freshly started system."""
    return gateway_and_workers[0]


@pytest.fixture(scope="session")
def platform(gateway) -> Platform:
    """Typed helpers for people, events, bookings and payments through the gateway."""
    return Platform(gateway)


@pytest.fixture(scope="session")
def gateway_and_workers(system_env, tmp_path_factory) -> Iterator[tuple[httpx.Client, Workers]]:
    env = system_env
    port = int(env["GATEWAY_PORT"])
    for name in ("GATEWAY_PORT", "USERS_PORT", "EVENTS_PORT", "BOOKINGS_PORT", "PAYMENTS_PORT", "NOTIFICATIONS_PORT",
                 "SMTP_PORT"):
        if port_taken(int(env[name])):
            pytest.fail(f"{name}={env[name]} is already in use: a system of the test profile is still running "
                        "(stop it, or set SERVICE_PORT_BASE/GATEWAY_PORT/SMTP_PORT to free ports)")
    for script in ("deploy/postgres.sh", "deploy/kafka.sh"):
        subprocess.run(["bash", script, "up"], cwd=ROOT, env=env, check=True, capture_output=True)

    log_dir = tmp_path_factory.mktemp("e2e")
    log = log_dir / "honcho.log"
    procfile = log_dir / "Procfile"
    procfile.write_text("".join(line + "\n" for line in (ROOT / "Procfile").read_text().splitlines()
                                if line.split(":", 1)[0].strip() not in NOT_FROM_PROCFILE))
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/honcho"), "start", "--no-colour", "-f", str(procfile),
                                 "-d", str(ROOT)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    workers = Workers(env, log_dir)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
    try:
        for name in OWN_PROCESSES:
            workers.start(name)
        started = time.monotonic()
        wait_healthy(client, proc, log)
        print(f"\nsystem healthy in {time.monotonic() - started:.1f} s")
        yield client, workers
    finally:
        client.close()
        workers.stop_all()
        stop_group(proc)
        if os.environ.get("E2E_SHOW_LOG"):
            print(f"\n--- honcho output ({log}) ---\n{tail(log, 400)}")
            for name in OWN_PROCESSES:
                print(f"\n--- {name} ---\n{workers.log(name, 100)}")


@pytest.fixture(scope="session")
def crowd(platform) -> list:
    """~30 participants for the rushes (password hashing is slow: register them once, let each book often)."""
    started = time.monotonic()
    crowd = platform.register_many(30, "Crowd Member")
    platform.allow_many_bookings_per_account()
    print(f"\ncrowd registered (and per-user limits lifted) in {time.monotonic() - started:.1f} s")
    return crowd
