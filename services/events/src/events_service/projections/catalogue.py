"""The `catalogue` read model: one row per event, fed from `events.v1`; it serves GET /api/v1/events/.

Built only from public messages, so it can be dropped and rebuilt from offset 0 of the topic. Each row
keeps the aggregate version it reflects; an older or repeated message leaves it unchanged. The seat
answers (SeatsReserved/Rejected/Released) carry the free seats after them, so `seats_available` is the
latest of those (or of EventUpdated); answers about unknown events (version 0) match no row.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from psycopg import Cursor, sql
from pydantic import TypeAdapter

from contracts import Envelope, topics
from contracts.events import (
    EventCancelled, EventCreated, EventDetails, EventUpdated, SeatsRejected, SeatsReleased, SeatsReserved,
)
from spine.projector import SqlProjection

DDL = """
CREATE TABLE IF NOT EXISTS catalogue (
    event_id uuid PRIMARY KEY,
    title text NOT NULL,
    description text NOT NULL,
    start_time timestamptz NOT NULL,
    duration_minutes int NOT NULL,
    max_participants int NOT NULL,
    seats_available int NOT NULL,
    is_paid boolean NOT NULL,
    price numeric,
    currency text,
    allowed_payment_methods text[] NOT NULL,
    tags text[] NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    status text NOT NULL,
    cancel_reason text,
    version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS catalogue_start_time ON catalogue (start_time, event_id);
CREATE INDEX IF NOT EXISTS catalogue_tags ON catalogue USING gin (tags);
CREATE INDEX IF NOT EXISTS catalogue_created_by ON catalogue (created_by)
"""

DETAIL_COLUMNS = tuple(EventDetails.model_fields)

_SEAT_MESSAGES = {m.__name__: m for m in (SeatsReserved, SeatsRejected, SeatsReleased)}


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    return TypeAdapter(EventDetails.model_fields[field].annotation)


class CatalogueProjection(SqlProjection):
    """Every event with its details, free seats and status."""

    name = "catalogue"

    def __init__(self, topic: str = topics.EVENTS):
        # Tests feed it from a throwaway topic; production reads events.v1.
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute(DDL)

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE catalogue")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return  # a newer schema of a type we know is published side by side with v1
        handler = {"EventCreated": self._created, "EventUpdated": self._updated,
                   "EventCancelled": self._cancelled, "SeatsReserved": self._seats, "SeatsRejected": self._seats,
                   "SeatsReleased": self._seats}.get(envelope.type)
        if handler is not None:
            handler(cur, envelope)

    def _created(self, cur: Cursor, envelope: Envelope) -> None:
        e = EventCreated.model_validate(envelope.payload)
        cur.execute(
            "INSERT INTO catalogue (event_id, title, description, start_time, duration_minutes, max_participants,"
            " seats_available, is_paid, price, currency, allowed_payment_methods, tags, created_by, created_at,"
            " updated_at, status, version)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'scheduled', %s)"
            " ON CONFLICT (event_id) DO NOTHING",
            (e.event_id, e.title, e.description, e.start_time, e.duration_minutes, e.max_participants,
             e.seats_available, e.is_paid, e.price, e.currency, e.allowed_payment_methods, e.tags, e.created_by,
             e.created_at, e.created_at, envelope.aggregate_version),
        )

    def _updated(self, cur: Cursor, envelope: Envelope) -> None:
        e = EventUpdated.model_validate(envelope.payload)
        # Fields this code does not know (an additive contract change) are skipped, not fatal.
        changes = {k: _adapter(k).validate_python(v) for k, v in e.changes.items() if k in DETAIL_COLUMNS}
        changes.update(seats_available=e.seats_available, updated_at=e.updated_at)
        self._set(cur, envelope, changes, e.event_id)

    def _cancelled(self, cur: Cursor, envelope: Envelope) -> None:
        e = EventCancelled.model_validate(envelope.payload)
        self._set(cur, envelope, {"status": "cancelled", "cancel_reason": e.reason, "updated_at": e.cancelled_at},
                  e.event_id)

    def _seats(self, cur: Cursor, envelope: Envelope) -> None:
        model = _SEAT_MESSAGES[envelope.type]
        e = model.model_validate(envelope.payload)
        # The aggregate's modified_on moves with every answer; occurred_at is that time, so the list
        # and GET /events/{id} keep showing the same updated_at.
        self._set(cur, envelope, {"seats_available": e.seats_available, "updated_at": envelope.occurred_at},
                  e.event_id)

    def _set(self, cur: Cursor, envelope: Envelope, values: dict[str, Any], event_id: object) -> None:
        """Update one row, only if this message is newer than what the row already shows."""
        values["version"] = envelope.aggregate_version
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values)
        cur.execute(
            sql.SQL("UPDATE catalogue SET {} WHERE event_id = %(event_id)s AND version < %(version)s")
            .format(assignments),
            {**values, "event_id": event_id},
        )
