"""Apply time of one 500-message batch per hot view, through the projector's real path (version claims,
pipeline, positions; one transaction), in a fresh schema of the bookings/events/payments/users databases.

Run it with a checkout's interpreter to measure that checkout's views, e.g. before/after a change:
    .venv/bin/python bench/view_batches.py            # this worktree
    /work/main/.venv/bin/python bench/view_batches.py # main (its own code, same script)
Prints per view: messages, median / best of the runs (ms), and a digest of the resulting rows — equal digests
mean the two checkouts built exactly the same rows from the same messages. No assertions on time.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from spine.projector import ProjectionStore
from spine.settings import InfraSettings
from spine.testing import golden_story, view_rows

RUNS = 5
SIZE = 500


def _ids(prefix: int) -> Any:
    n = 0
    while True:
        n += 1
        yield UUID(int=(prefix << 96) + n)


def interleave(stories: list[list[Any]], seed: int = 8) -> list[Any]:
    """Stories interleaved (each in order) with a few duplicates, cut to SIZE messages."""
    rng = random.Random(seed)
    queues, out = [list(s) for s in stories], []
    while queues and len(out) < SIZE:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
        if rng.random() < 0.03:
            out.append(out[rng.randrange(len(out))])  # a redelivered/re-published message
    return out[:SIZE]


START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def bookings_batch() -> list[Any]:
    ids, event = _ids(1), UUID(int=1)
    lives = [["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed"],
             ["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingAwaitingPayment"],
             ["BookingRequested", "BookingAwaitingPayment", "BookingExpired"],
             ["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"]]
    return interleave([golden_story(lives[i % 4], "booking_id", START, booking_id=next(ids), event_id=event)
                       for i in range(200)])


def events_batch() -> list[Any]:
    """A rush: a few events created, then seat answers for them (and a couple of updates)."""
    ids = _ids(2)
    life = ["EventCreated", *["SeatsReserved", "SeatsRejected", "SeatsReleased"] * 40, "EventUpdated",
            "EventCancelled"]
    return interleave([golden_story(life, "event_id", START, event_id=next(ids)) for _ in range(5)])


def payments_batch() -> list[Any]:
    ids = _ids(3)
    lives = [["PaymentRequested", "PaymentSucceeded"], ["PaymentRequested", "PaymentFailed"],
             ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"], ["PaymentRequested", "PaymentVoided"]]
    return interleave([golden_story(lives[i % 4], "payment_id", START, payment_id=next(ids), booking_id=next(ids),
                                    event_id=UUID(int=7)) for i in range(250)])


def views() -> list[tuple[str, str, Any, Any]]:
    from bookings_service.projections.bookings_view import BookingsView
    from bookings_service.projections.catalogue_replica import CatalogueReplica
    from events_service.projections.catalogue import CatalogueProjection
    from payments_service.projections.payments_view import PaymentsView
    from users_service.projections.audit_log import AuditLog
    return [("bookings", "bookings_view", BookingsView, bookings_batch),
            ("events", "catalogue", CatalogueProjection, events_batch),
            ("bookings", "catalogue_replica", CatalogueReplica, events_batch),
            ("payments", "payments_view", PaymentsView, payments_batch),
            ("users", "audit_log", lambda: AuditLog(("t",)), bookings_batch)]


def measure(conninfo: str, make_view: Any, batch: list[Any]) -> tuple[list[float], str]:
    times, digest = [], ""
    for run in range(RUNS):
        schema = f"bench_{run}_{time.monotonic_ns() % 10**8}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        store, view = ProjectionStore(conninfo, schema=schema), make_view()
        try:
            store.setup(view)
            with store.connect():
                pass  # the pool's connection made before the clock starts
            started = time.perf_counter()
            store.apply_batch(view, "t", 0, list(enumerate(batch)))
            times.append((time.perf_counter() - started) * 1000)
            rows = view_rows(conninfo, view, schema)
            for table in rows.values():
                for row in table:
                    row.pop("recorded_at", None)
            digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:12]
        finally:
            store.close()
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return times, digest


def main() -> None:
    only = set(sys.argv[1:])
    print(f"{'view':<18} {'msgs':>5} {'median ms':>10} {'best ms':>8}  rows digest")
    for database, name, make_view, batch_of in views():
        if only and name not in only:
            continue
        batch = batch_of()
        times, digest = measure(InfraSettings().conninfo(database), make_view, batch)
        print(f"{name:<18} {len(batch):>5} {statistics.median(times):>10.1f} {min(times):>8.1f}  {digest}")


if __name__ == "__main__":
    main()
