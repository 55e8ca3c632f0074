"""Catalogue list throughput: the real `events-api` process serving GET /api/v1/events/?limit=20 from a
catalogue of 200 events; baseline: a bare FastAPI route (_bare_app.py) returning 20 constant event dicts.

Each server is its own uvicorn process (1 worker, log level warning), started and stopped here; the load
comes from this process (asyncio + httpx keep-alive, 16 connections), so client and server use separate
cores. Per target: 2 s warm-up, then 10 s measured. Both targets run in the same run on the same machine.
Besides req/s and latency it prints the server's CPU per request (api process + its PostgreSQL backends),
which stays comparable when the client, not the server, is what saturates (the bare app on 2 cores).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg
import uvloop

from spine.settings import InfraSettings
from spine.testing import fresh_database

from _stats import report, summary_ms
from events_service.bootstrap import build_events, ensure_read_models
from events_service.domain import EventDetails
from events_service.settings import Settings
from events_service.testing import feed_catalogue

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
CATALOGUE_SIZE = 200
CONNECTIONS = 16
WARMUP_S = 2.0
MEASURE_S = 10.0
SUBJECT_PATH = "/api/v1/events/?limit=20"


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_catalogue(settings: Settings) -> None:
    """Schedule CATALOGUE_SIZE events through the application and project them into the read model."""
    ensure_read_models(settings)
    events = build_events(settings)
    try:
        organizer, start = uuid4(), datetime.now(UTC) + timedelta(days=7)
        for i in range(CATALOGUE_SIZE):
            paid = i % 3 == 0
            events.schedule_event(EventDetails(
                title=f"Bench meetup #{i}", description="Talks, demos and pizza. " * 3,
                start_time=start + timedelta(hours=i), duration_minutes=90, max_participants=100, is_paid=paid,
                price=Decimal("25.00") if paid else None, currency="EUR" if paid else None,
                allowed_payment_methods=["card"] if paid else [], tags=["tech", "python"]), created_by=organizer)
        feed_catalogue(events, settings.conninfo(settings.database))
    finally:
        events.close()


@contextmanager
def server(cmd: list[str], env: dict[str, str], ready_url: str):
    """A server subprocess, up once `ready_url` answers 200; always killed on the way out."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    errors.seek(0)
                    raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{errors.read().decode()[-3000:]}")
                try:
                    if httpx.get(ready_url, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{cmd[0]} did not answer {ready_url} within 30 s")
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends(settings: InfraSettings, db: str | None) -> list[int]:
    """PostgreSQL backend pids connected to `db` (the api's pool), whose CPU is part of serving it."""
    if db is None:
        return []
    with psycopg.connect(settings.conninfo("postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (db,)).fetchall()
    return [pid for (pid,) in rows if Path(f"/proc/{pid}").exists()]


def server_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by the processes still alive among `pids`."""
    return sum(cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}").exists())


async def load(url: str, server_pids: Callable[[], list[int]]) -> dict:
    """CONNECTIONS keep-alive loops on `url`: warm-up, then latencies of requests completed in the window."""
    # One client per connection: a shared 16-connection httpx pool costs the client ~3x more CPU per request.
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), timeout=10)
               for _ in range(CONNECTIONS)]
    samples: list[float] = []
    errors = 0
    begin = time.perf_counter()
    start, end = begin + WARMUP_S, begin + WARMUP_S + MEASURE_S
    cpu: dict[str, float] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while (t0 := time.perf_counter()) < end:
            response = await client.get(url)
            t1 = time.perf_counter()
            if start <= t0 and t1 <= end:
                if response.status_code == 200:
                    samples.append(t1 - t0)
                else:
                    errors += 1

    async def meter() -> None:
        # CPU used by each side over the measured window only: shows which one saturated its core.
        await asyncio.sleep(start - time.perf_counter())
        pids = await asyncio.to_thread(server_pids)  # after warm-up: the api's pool has grown by now
        server0, client0 = server_cpu(pids), time.process_time()
        await asyncio.sleep(end - time.perf_counter())
        cpu.update(server=server_cpu(pids) - server0, client=time.process_time() - client0)

    try:
        await asyncio.gather(meter(), *(worker(c) for c in clients))
    finally:
        for client in clients:
            await client.aclose()
    if errors:
        raise RuntimeError(f"{errors} non-200 answers from {url}")
    return {"samples": samples, "rps": len(samples) / MEASURE_S, "server_cpu": cpu["server"] / MEASURE_S,
            "client_cpu": cpu["client"] / MEASURE_S, "server_ms_per_request": cpu["server"] * 1000 / len(samples)}


def measure(name: str, url: str, proc: subprocess.Popen, db: str | None = None) -> dict:
    """Check the answer (20 events), then load it; print what each side's core was doing."""
    body = httpx.get(url).raise_for_status()
    assert len(body.json()) == 20, f"{name}: expected 20 events, got {len(body.json())}"
    result = uvloop.run(load(url, lambda: [proc.pid, *backends(InfraSettings(), db)]))
    print(f"{name:>9}: {result['rps']:7.0f} req/s, {len(body.content)} bytes/response; CPU (1.00 = one core): "
          f"server {result['server_cpu']:.2f}{' incl. its PostgreSQL backends' if db else ''}, "
          f"client {result['client_cpu']:.2f}", flush=True)
    if result["client_cpu"] > 0.9:
        print(f"{'':>11}client-bound: {name} could serve more than this", flush=True)
    return result


def main() -> None:
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    with fresh_database("bench_catalogue") as db:
        seed_catalogue(Settings(database=db))
        port = free_port()
        bare = [str(VENV_BIN / "python"), "-m", "uvicorn", "_bare_app:app", "--app-dir", str(HERE),
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"]
        with server(bare, env, f"http://127.0.0.1:{port}/bench/events") as proc:
            base = measure("baseline", f"http://127.0.0.1:{port}/bench/events", proc)
        port = free_port()
        subject_env = {**env, "EVENTS_DATABASE": db, "EVENTS_PORT": str(port)}
        with server([str(VENV_BIN / "events-api")], subject_env, f"http://127.0.0.1:{port}/health/events") as proc:
            subj = measure("subject", f"http://127.0.0.1:{port}{SUBJECT_PATH}", proc, db)
    title = (f"catalogue list, {CONNECTIONS} connections x {MEASURE_S:.0f} s (subject: events-api GET {SUBJECT_PATH}"
             f", {CATALOGUE_SIZE} events; baseline: bare FastAPI, constant list)")
    report(title + " — latency", summary_ms(subj["samples"]), summary_ms(base["samples"]), "ms")
    report(title + " — throughput", {"req/s": subj["rps"]}, {"req/s": base["rps"]}, "requests/s")
    # Independent of which side saturated: what one answer costs the server (api process + its PG backends).
    report(title + " — server CPU per request", {"cpu/req": subj["server_ms_per_request"]},
           {"cpu/req": base["server_ms_per_request"]}, "ms of CPU")


if __name__ == "__main__":
    main()
