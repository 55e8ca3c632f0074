"""`planner-ops republish`: re-emitting the events and bookings services' stores to their topics (as after a
lost topic) changes nothing downstream — the catalogue, the bookings view and its catalogue replica are equal,
and the saga and the seat handler make no new event and send no new command (every table of both databases is
equal, but for consumers' read positions) — because consumers deduplicate.

Both services' real workers run on this test's own topics and databases; `--into` points the republish at
those topics (the service's relays are built as its worker builds them, for its default topic).
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from authkit.testing import caller
from contracts.topics import dlq
from spine.testing import create_topics, fresh_database, unique_topic

from bookings_service.main import Topics, create_app
from bookings_service.main import build_worker as bookings_worker
from bookings_service.settings import Settings as BookingsSettings
from events_service.bootstrap import build_events
from events_service.domain.details import EventDetails
from events_service.main import build_worker as events_worker
from events_service.settings import Settings as EventsSettings
from ops_support import planner_ops, until
from planner_ops.config import Ops
from planner_ops.lag import collect

pytestmark = pytest.mark.integration
URL = "/api/v1/bookings/"
def snapshot(conninfo: str) -> dict[str, list]:
    """Every row of every table of a service's database — read models, event store, relay positions — except
    where consumers record how far they read (projection_positions, and handlers' rows in `*_tracking`), which
    rightly moves on as they read the re-sent messages."""
    with psycopg.connect(conninfo) as conn:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables"
                                             " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
        return {t: sorted(map(repr, conn.execute(
            f'SELECT * FROM "{t}"' + (" WHERE application_name LIKE 'relay:%%'" if t.endswith("_tracking") else "")
        ).fetchall())) for t in tables if t != "projection_positions"}


def quiet(dbs: list[str], topics: set[str]) -> bool:
    """Every relay of these databases caught up, and every consumer group of these topics at its end (what
    `planner-ops lag --json` prints, computed in-process: polled every second, a process each time is slow)."""
    report = collect(Ops("test"), dbs, stale=30)
    groups = [g for g in report["consumer_groups"] if g["topic"] in topics]
    return (all(r["behind"] == 0 for r in report["relays"]) and len(report["relays"]) >= 4
            and groups and all(g["lag"] == 0 for g in groups))


# Both lease settings: with leases on, a republished RequestSeatLease is a plain duplicate (no `repeat`) and
# changes nothing at the Event, as a republished ReserveSeats does; only the sweeper's `repeat` is re-answered.
@pytest.mark.parametrize("seat_leases", [
    pytest.param(False, id="leases-off"),
    pytest.param(True, id="leases-on"),
])
def test_republishing_changes_no_view_and_no_saga(issuer, seat_leases: bool):
    names = Topics(**{field: unique_topic(f"ops_re_{field}") for field in Topics.__dataclass_fields__})
    topics = {getattr(names, f) for f in Topics.__dataclass_fields__}
    create_topics(*topics, *(dlq(t) for t in topics), partitions=2)
    with fresh_database("ops_re_events") as events_db, fresh_database("ops_re_bookings") as bookings_db:
        # Own consumer groups: the e2e system (same service names) may still be running.
        suffix = f".{names.events}"
        ev = EventsSettings(database=events_db, consumer_group_suffix=suffix)
        bk = BookingsSettings(database=bookings_db, consumer_group_suffix=suffix, seat_leases=seat_leases)
        events = build_events(ev)
        details = EventDetails(title="Republished meetup", start_time=datetime.now(UTC) + timedelta(days=3),
                               duration_minutes=60, max_participants=5)
        event_id = str(events.schedule_event(details, created_by=uuid4()).id)
        events.close()
        people = [caller(issuer, "participant") for _ in range(3)]

        with TestClient(create_app(bk, verifier=issuer.verifier())) as client:
            def book(who) -> str | None:
                r = client.post(URL, json={"event_id": event_id}, headers=who.headers)
                return r.json()["id"] if r.status_code == 202 else None

            def status(who, booking_id: str) -> str:
                return client.get(f"{URL}{booking_id}", headers=who.headers).json()["status"]

            async def scenario():
                # The events worker reads bookings.v1 too where it keeps who attended what (reviews).
                extra = {"bookings_topic": names.bookings} \
                    if "bookings_topic" in inspect.signature(events_worker).parameters else {}
                workers = [events_worker(ev, topic=names.events, users_topic=names.users,
                                         commands_topic=names.events_commands, **extra),
                           bookings_worker(bk, names=names)]
                for worker in workers:
                    await worker.start()
                try:
                    booked = [await until(lambda w=who: book(w)) for who in people]
                    await asyncio.to_thread(client.post, f"{URL}{booked[2]}/cancel", headers=people[2].headers)
                    finals = ("confirmed", "confirmed", "cancelled")
                    for who, booking_id, final in zip(people, booked, finals, strict=True):
                        await until(lambda w=who, b=booking_id, f=final: status(w, b) == f)
                    await until(lambda: quiet([events_db, bookings_db], topics), every=1)
                    before = snapshot(ev.conninfo(events_db)), snapshot(bk.conninfo(bookings_db))
                    assert len(before[1]["bookings_view"]) == 3

                    runs = [("events", names.events, []), ("bookings", names.bookings, []),
                            ("bookings", names.events_commands, ["--topic", "events.commands.v1"])]
                    env = {"EVENTS_DATABASE": events_db, "BOOKINGS_DATABASE": bookings_db}
                    for service, into, extra in runs:
                        ran = await asyncio.to_thread(planner_ops, "republish", service, "--into", into, *extra,
                                                      env=env)
                        assert ran.code == 0, ran.stderr
                        assert "republished " in ran.stdout and f"to {into}" in ran.stdout
                        assert int(ran.stdout.split()[1]) > 0

                    await until(lambda: quiet([events_db, bookings_db], topics), every=1)
                    after = snapshot(ev.conninfo(events_db)), snapshot(bk.conninfo(bookings_db))
                    for mine, theirs in zip(before, after, strict=True):
                        assert set(theirs) == set(mine)
                        assert {t: set(theirs[t]) ^ set(rows) for t, rows in mine.items()} == {t: set() for t in mine}
                    assert [status(w, b) for w, b in zip(people, booked, strict=True)] == list(finals)
                finally:
                    for worker in reversed(workers):
                        await worker.stop()

            asyncio.run(scenario())
