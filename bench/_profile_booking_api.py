"""Where the bookings api spends CPU per booking request, in-process (no gateway, no Kafka, no other services).

Drives `POST /api/v1/bookings/` through the real ASGI app (httpx ASGITransport, all middlewares, auth,
the single writer) against a fresh PostgreSQL database, `PROFILE_CLIENTS` concurrent requesters (default 50) for
`PROFILE_REQUESTS` requests (default 2,000), seat leases on (the lease is granted up front, as the saga would).
Prints CPU-ms per request of the event-loop thread (HTTP, middlewares, auth, logging) and of the writer thread,
then the top functions of each (cProfile, cumulative). `PROFILE_OUT=dir` also writes the .pstats files.

    EP_PROFILE=test .venv/bin/python bench/_profile_booking_api.py   # the test profile's PostgreSQL up

A profiling tool run by hand, not part of `make bench` (it prints no ratio against a baseline).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import logging
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from authkit.testing import TestIssuer, caller  # noqa: E402
from contracts import wrap  # noqa: E402
from contracts.users import SettingChanged  # noqa: E402
from spine.projector import apply_in_transaction  # noqa: E402
from spine.testing import fresh_database  # noqa: E402
from webkit.observability import configure_logging  # noqa: E402

from bookings_service.main import create_app  # noqa: E402
from bookings_service.projections.catalogue_replica import CatalogueReplica  # noqa: E402
from bookings_service.projections.settings_replica import SettingsReplica  # noqa: E402
from bookings_service.settings import Settings  # noqa: E402
from bookings_service.testing import event_created  # noqa: E402

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", 2000))
CLIENTS = int(os.environ.get("PROFILE_CLIENTS", 50))
USERS = 10
TOP = int(os.environ.get("PROFILE_TOP", 45))
PROFILE = os.environ.get("PROFILE", "1") != "0"  # 0: CPU figures only, without cProfile's own overhead


async def rush(app, event_id, headers: list[dict[str, str]]) -> list[int]:
    statuses: list[int] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bookings") as client:
        sent = iter(range(REQUESTS))

        async def requester(i: int) -> None:
            for n in sent:
                r = await client.post("/api/v1/bookings/", headers=headers[(n + i) % len(headers)],
                                      json={"event_id": str(event_id), "group_size": 1})
                statuses.append(r.status_code)

        await asyncio.gather(*(requester(i) for i in range(CLIENTS)))
    return statuses


def grant_lease(app, event_id) -> None:
    """The ledger as the saga leaves it after the Event granted a big lease, so requests confirm from it."""
    from bookings_service.domain.lease import SeatLedger
    bookings = app.state.container.bookings
    ledger = SeatLedger(event_id=event_id)
    lease_id = ledger.ask(REQUESTS * 2, datetime.now(UTC))
    assert lease_id is not None
    ledger.granted(lease_id, REQUESTS * 2)
    bookings.save(ledger)


def main() -> None:
    out = os.environ.get("PROFILE_OUT")
    log_dir = os.environ.get("LOG_DIR") or "/tmp/ep-profile-logs"
    os.environ["LOG_DIR"] = log_dir
    configure_logging("bookings", "INFO", process="profile-bookings")
    root = logging.getLogger()  # the log file only (as in production), not this terminal
    root.handlers[:] = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
    issuer = TestIssuer()
    with fresh_database("bookings_profile") as name:
        settings = Settings(database=name, seat_leases=True, booking_rate_per_minute=1e9, booking_rate_burst=10**6)
        app = create_app(settings, verifier=issuer.verifier())
        container = app.state.container
        organizer = uuid4()
        envelope = event_created(organizer=organizer, capacity=REQUESTS * 4)
        event_id = envelope.payload["event_id"] if isinstance(envelope.payload, dict) else envelope.aggregate_id
        apply_in_transaction(settings.conninfo(name), CatalogueReplica(), [envelope])
        apply_in_transaction(settings.conninfo(name), SettingsReplica(), [  # as the bench lifts them
            wrap(SettingChanged(key=key, type="number", value=value), aggregate_id=key, aggregate_version=1)
            for key, value in (("max_waitlist_length", 1_000_000), ("max_seats_per_user_per_event", 100_000),
                               ("max_pending_payments_per_user", 1_000))])
        headers = [caller(issuer, "participant").headers for _ in range(USERS)]
        grant_lease(app, event_id)
        asyncio.run(rush(app, event_id, headers[:1]))  # warm-up: imports, caches, connections

        writer_prof = cProfile.Profile(time.thread_time)  # CPU, not wall: the machine is shared
        writer_cpu = [0.0]
        inner = container.intake.writer._apply

        def profiled(commands):
            started = time.thread_time()
            if PROFILE:
                writer_prof.enable()
            try:
                return inner(commands)
            finally:
                if PROFILE:
                    writer_prof.disable()
                writer_cpu[0] += time.thread_time() - started

        container.intake.writer._apply = profiled
        loop_prof = cProfile.Profile(time.thread_time)
        started_cpu, started_wall, started_proc = time.thread_time(), time.perf_counter(), time.process_time()
        if PROFILE:
            loop_prof.enable()
        statuses = asyncio.run(rush(app, event_id, headers))
        if PROFILE:
            loop_prof.disable()
        loop_cpu, wall = time.thread_time() - started_cpu, time.perf_counter() - started_wall
        proc_cpu = time.process_time() - started_proc
        container.close()
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(f"{REQUESTS} requests, {CLIENTS} concurrent, statuses {counts}, wall {wall:.1f} s, "
          f"batches {container.intake.writer.batches}")
    print(f"CPU ms/request: event loop (client + HTTP + middlewares + auth + route) {loop_cpu / REQUESTS * 1000:.2f}, "
          f"writer {writer_cpu[0] / REQUESTS * 1000:.2f}, process {proc_cpu / REQUESTS * 1000:.2f}")
    for label, prof in (("EVENT LOOP", loop_prof), ("WRITER", writer_prof)) if PROFILE else ():
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(TOP)
        print(f"\n===== {label} (cumulative)\n" + buf.getvalue()[-12000:])
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        print(f"\n===== {label} (tottime)\n" + buf.getvalue()[-6000:])
        if out:
            prof.dump_stats(str(Path(out) / f"{label.lower().replace(' ', '_')}.pstats"))


if __name__ == "__main__":
    main()
