"""A replica of what bookings needs from the events catalogue (events.v1), to check a booking at POST time
without asking the events service: start time, status, price, payment methods, organizer, free seats.

Rows keep the Event aggregate version they reflect, so an older message never overwrites a newer one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool
from pydantic import TypeAdapter

from contracts import Envelope, parse_payload, topics
from contracts.events import EventCancelled, EventCreated, EventUpdated, SeatsRejected, SeatsReleased, SeatsReserved
from spine.projector import SqlProjection

from bookings_service.domain import EventTerms

DDL = """
CREATE TABLE IF NOT EXISTS catalogue_replica (
    event_id uuid PRIMARY KEY,
    created_by uuid NOT NULL,
    start_time timestamptz NOT NULL,
    status text NOT NULL,
    is_paid boolean NOT NULL,
    price numeric,
    currency text,
    allowed_payment_methods text[] NOT NULL,
    max_participants int NOT NULL,
    seats_available int NOT NULL,
    version bigint NOT NULL
)"""

# EventUpdated.changes fields this replica keeps, with their types.
CHANGE_TYPES: dict[str, Any] = {
    "start_time": datetime, "is_paid": bool, "price": Decimal | None, "currency": str | None,
    "allowed_payment_methods": list[str], "max_participants": int,
}


class CatalogueReplica(SqlProjection):
    """Table `catalogue_replica`: the booking terms of every event."""

    name = "catalogue_replica"

    def __init__(self, topic: str = topics.EVENTS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute(DDL)

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE catalogue_replica")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return
        message = parse_payload(envelope)
        if isinstance(message, EventCreated):
            cur.execute(
                "INSERT INTO catalogue_replica VALUES (%s, %s, %s, 'scheduled', %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (event_id) DO NOTHING",
                (message.event_id, message.created_by, message.start_time, message.is_paid, message.price,
                 message.currency, message.allowed_payment_methods, message.max_participants,
                 message.seats_available, envelope.aggregate_version))
        elif isinstance(message, EventUpdated):
            changes = {k: TypeAdapter(CHANGE_TYPES[k]).validate_python(v) for k, v in message.changes.items()
                       if k in CHANGE_TYPES}
            self._set(cur, envelope, message.event_id, {**changes, "seats_available": message.seats_available})
        elif isinstance(message, EventCancelled):
            self._set(cur, envelope, message.event_id, {"status": "cancelled"})
        elif isinstance(message, SeatsReserved | SeatsRejected | SeatsReleased):
            self._set(cur, envelope, message.event_id, {"seats_available": message.seats_available})

    def _set(self, cur: Cursor, envelope: Envelope, event_id: UUID, values: dict[str, Any]) -> None:
        values = {**values, "version": envelope.aggregate_version}
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values)
        cur.execute(sql.SQL("UPDATE catalogue_replica SET {} WHERE event_id = %(event_id)s"
                            " AND version < %(version)s").format(assignments), {**values, "event_id": event_id})


class EventTermsReader:
    """Reads the replica as domain `EventTerms`."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def get(self, event_id: UUID) -> EventTerms | None:
        """The terms of one event, or None when the catalogue (as far as we know) has no such event."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT * FROM catalogue_replica WHERE event_id = %s", (event_id,)).fetchone()
        if row is None:
            return None
        return EventTerms(event_id=row["event_id"], created_by=row["created_by"], start_time=row["start_time"],
                          status=row["status"], is_paid=row["is_paid"], price=row["price"], currency=row["currency"],
                          allowed_payment_methods=tuple(row["allowed_payment_methods"]),
                          max_participants=row["max_participants"], seats_available=row["seats_available"],
                          version=row["version"])

    def start_of(self, event_id: UUID) -> datetime | None:
        """When the event starts (for the cancellation deadline), or None when unknown."""
        terms = self.get(event_id)
        return terms.start_time if terms else None

    def organizer_of(self, event_id: UUID) -> UUID | None:
        """Who created the event (they may see its bookings)."""
        terms = self.get(event_id)
        return terms.created_by if terms else None
