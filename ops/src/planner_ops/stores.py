"""Read-only looks into a service's database: its event store (the `eventsourcing` tables), relay positions,
parked records and projection positions. Plain SQL, so it needs none of the service's code.

Each eventsourcing application stores events in `<app>_events` (notification_id in commit order, with gaps)
and tracking positions in `<app>_tracking` (one row per name; a relay's is `relay:<topic>`, the last
notification id Kafka acknowledged). Records the relay could never publish sit in `spine_relay_parked`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from spine.settings import InfraSettings

from planner_ops.errors import OpsError


@contextmanager
def connect(settings: InfraSettings, dbname: str) -> Iterator[psycopg.Connection]:
    """A short read-only session (autocommit: every query sees the latest commits).

    Raises NoDatabase when the server answers but has no such database (a typo, or a service never deployed).
    """
    try:
        conn = psycopg.connect(settings.conninfo(dbname), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if f'database "{dbname}" does not exist' in str(exc):
            raise NoDatabase(f"no database {dbname!r} on {settings.postgres_host}:{settings.postgres_port}") from None
        raise
    with conn:
        conn.execute("SET default_transaction_read_only = on")
        yield conn


class NoDatabase(OpsError):
    """Raised when PostgreSQL answers but the named database does not exist."""


def scalar(conn: psycopg.Connection, query: Any, params: tuple[Any, ...] = ()) -> Any:
    """The first column of a query that always answers one row (an aggregate, a function call)."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, "the query answered no row"
    return row[0]


def has_table(conn: psycopg.Connection, name: str) -> bool:
    return bool(scalar(conn, "SELECT to_regclass(%s) IS NOT NULL", (name,)))


def event_stores(conn: psycopg.Connection) -> list[str]:
    """Names of the eventsourcing applications in this database (tables `<app>_events` with `<app>_tracking`)."""
    rows = conn.execute(
        "SELECT left(e.table_name, -7) FROM information_schema.tables e JOIN information_schema.tables t"
        " ON t.table_schema = e.table_schema AND t.table_name = left(e.table_name, -7) || '_tracking'"
        " WHERE e.table_schema = current_schema() AND e.table_name LIKE '%\\_events' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def event_time(state: bytes | None) -> datetime | None:
    """When a stored event happened, from its JSON state (None when the state is not plain JSON)."""
    if state is None:
        return None
    try:
        stamp = json.loads(state)["timestamp"]
        return datetime.fromisoformat(stamp["_data_"] if isinstance(stamp, dict) else stamp)
    except Exception:  # noqa: BLE001 — compressed/encrypted states: the age is unknown, not an error
        return None


def short_topic(topic: str) -> str:
    """`bookings_service.domain.booking:Booking.Confirmed` → `Booking.Confirmed`."""
    return topic.rpartition(":")[2]


@dataclass
class RelayState:
    """How far one relay is behind its event store."""

    database: str
    store: str
    relay: str
    position: int
    head: int
    behind: int
    oldest_unpublished: datetime | None
    oldest_unpublished_id: int | None
    parked: int


def relay_states(conn: psycopg.Connection, database: str, expected: tuple[str, ...] = ()) -> list[RelayState]:
    """Every relay with a position in this database, plus the `expected` ones (`relay:<topic>`) not started yet."""
    out = []
    stores = event_stores(conn)
    parked: dict[str, int] = {}
    if has_table(conn, "spine_relay_parked"):
        parked = dict(conn.execute("SELECT relay, count(*) FROM spine_relay_parked GROUP BY relay").fetchall())
    for store in stores:
        events, tracking = sql.Identifier(f"{store}_events"), sql.Identifier(f"{store}_tracking")
        positions: dict[str, int] = dict(conn.execute(sql.SQL("SELECT application_name, notification_id FROM {} WHERE"
                                              " application_name LIKE 'relay:%%'").format(tracking)).fetchall())
        if len(stores) == 1:
            positions = {name: 0 for name in expected} | positions
        head = scalar(conn, sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(events))
        for relay, position in sorted(positions.items()):
            behind, first = 0, None
            if head > position:
                behind = scalar(conn, sql.SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(events),
                                (position,))
                first = conn.execute(sql.SQL("SELECT notification_id, state FROM {} WHERE notification_id > %s"
                                             " ORDER BY notification_id LIMIT 1").format(events),
                                     (position,)).fetchone()
            out.append(RelayState(database, store, relay, position, head, behind,
                                  event_time(first[1]) if first else None, first[0] if first else None,
                                  parked.get(relay, 0)))
    return out


def projection_positions(conn: psycopg.Connection) -> list[tuple[str, str, int, int]]:
    """(projection, topic, partition, next offset) as stored beside each read model."""
    if not has_table(conn, "projection_positions"):
        return []
    return [tuple(r) for r in conn.execute(
        "SELECT projection, topic, partition, next_offset FROM projection_positions ORDER BY 1, 2, 3").fetchall()]


def last_event(conn: psycopg.Connection, stores: list[str], aggregate_id: object) -> tuple[str, datetime | None] | None:
    """The type and time of an aggregate's latest stored event, from whichever store holds it."""
    for store in stores:
        latest = sql.SQL("SELECT topic, state FROM {} WHERE originator_id = %s"
                         " ORDER BY originator_version DESC LIMIT 1").format(sql.Identifier(f"{store}_events"))
        row = conn.execute(latest, (aggregate_id,)).fetchone()
        if row:
            return short_topic(row[0]), event_time(row[1])
    return None
