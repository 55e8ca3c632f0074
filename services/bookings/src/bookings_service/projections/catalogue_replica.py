"""A replica of what bookings needs from the events catalogue (events.v1), to check a booking at POST time
without asking the events service: start time, status, price, payment methods, organizer, free seats.

Rows keep the Event aggregate version they reflect, so an older message never overwrites a newer one.
`seats_available` is the Event's own free count (neither reserved nor leased): it feeds waitlist promotion,
which asks the Event for seats, so lease grants and returns (issue 8) move it as reservations do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from pydantic import TypeAdapter
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, parse_payload, topics
from contracts.events import (
    EventCancelled,
    EventCreated,
    EventUpdated,
    LeasedSeatsReturned,
    SeatsLeased,
    SeatsRejected,
    SeatsReleased,
    SeatsReserved,
)
from spine.views import Rows, View

from bookings_service.domain import EventTerms

metadata = MetaData()
catalogue_replica = Table(
    "catalogue_replica", metadata,
    Column("event_id", PG_UUID, primary_key=True),
    Column("created_by", PG_UUID, nullable=False),
    Column("start_time", TIMESTAMP(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("is_paid", Boolean, nullable=False),
    Column("price", Numeric),
    Column("currency", Text),
    Column("allowed_payment_methods", ARRAY(Text), nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("seats_available", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
)
_COLUMNS = tuple(c.name for c in catalogue_replica.columns)
# EventUpdated.changes fields this replica keeps, with their types.
CHANGE_TYPES: dict[str, Any] = {
    "start_time": datetime, "is_paid": bool, "price": Decimal | None, "currency": str | None,
    "allowed_payment_methods": list[str], "max_participants": int,
}


class CatalogueReplica(View):
    """Table `catalogue_replica`: the booking terms of every event."""

    name = "catalogue_replica"
    version = 2  # 2: lease grants and returns move seats_available (rebuilt so a replay equals the live rows)
    metadata = metadata

    def __init__(self, topic: str = topics.EVENTS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's events read once, changed message by message, written back in one statement."""
        messages = [(e.aggregate_version, parse_payload(e)) for e in envelopes if e.version == 1]
        rows = Rows(cur, catalogue_replica, [getattr(m, "event_id", None) for _, m in messages])
        for version, message in messages:
            if isinstance(message, EventCreated):
                row = {c: getattr(message, c, None) for c in _COLUMNS}
                rows.insert(message.event_id, {**row, "status": "scheduled", "version": version})
            elif isinstance(message, EventUpdated):
                changes = {k: TypeAdapter(CHANGE_TYPES[k]).validate_python(v) for k, v in message.changes.items()
                           if k in CHANGE_TYPES}
                rows.update(message.event_id, {**changes, "seats_available": message.seats_available}, version)
            elif isinstance(message, EventCancelled):
                rows.update(message.event_id, {"status": "cancelled"}, version)
            elif isinstance(message, SeatsReserved | SeatsRejected | SeatsReleased):
                rows.update(message.event_id, {"seats_available": message.seats_available}, version)
            elif isinstance(message, SeatsLeased | LeasedSeatsReturned):
                rows.update(message.event_id, {"seats_available": message.seats_unallocated}, version)
        rows.write(cur)


class EventTermsReader:
    """Reads the replica as domain `EventTerms`."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def get(self, event_id: UUID) -> EventTerms | None:
        """The terms of one event, or None when the catalogue (as far as we know) has no such event."""
        return self.get_many([event_id])[event_id]

    def get_many(self, event_ids: Iterable[UUID]) -> dict[UUID, EventTerms | None]:
        """The terms of several events with one query (the booking writer's batch); None for unknown ones."""
        found: dict[UUID, EventTerms | None] = dict.fromkeys(event_ids)
        if not found:
            return found
        with self.pool.connection() as conn:
            rows = conn.execute(_TERMS_SQL, (list(found),), prepare=True).fetchall()
        for row in rows:
            terms = _terms(cast(dict[str, Any], row))  # the pool's rows are dicts
            found[terms.event_id] = terms
        return found

    def start_of(self, event_id: UUID) -> datetime | None:
        """When the event starts (for the cancellation deadline), or None when unknown."""
        terms = self.get(event_id)
        return terms.start_time if terms else None

    def organizer_of(self, event_id: UUID) -> UUID | None:
        """Who created the event (they may see its bookings)."""
        terms = self.get(event_id)
        return terms.created_by if terms else None


_TERMS_SQL = "SELECT * FROM catalogue_replica WHERE event_id = ANY(%s)"


def _terms(row: dict[str, Any]) -> EventTerms:
    return EventTerms(event_id=row["event_id"], created_by=row["created_by"], start_time=row["start_time"],
                      status=row["status"], is_paid=row["is_paid"], price=row["price"], currency=row["currency"],
                      allowed_payment_methods=tuple(row["allowed_payment_methods"]),
                      max_participants=row["max_participants"], seats_available=row["seats_available"],
                      version=row["version"])
