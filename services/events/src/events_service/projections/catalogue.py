"""The `catalogue` view: one row per event, fed from `events.v1`; it serves GET /api/v1/events/.

Built only from public messages, so it can be dropped and rebuilt from offset 0 of the topic. Each row
keeps the aggregate version it reflects; an older or repeated message leaves it unchanged. The seat
answers (SeatsReserved/Rejected/Released) carry the free seats after them, so `seats_available` is the
latest of those (or of EventUpdated); answers about unknown events (version 0) match no row.

A rush puts hundreds of seat answers for a few events in one batch: only the newest per event matters,
so a batch's run of them becomes one multi-row UPDATE (flushed before any other message of that event).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from psycopg import Cursor
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import (
    BigInteger, Boolean, Column, Index, Integer, MetaData, Numeric, Table, Text, bindparam, func, update,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, topics
from contracts.events import (
    EventCancelled, EventCreated, EventDetails, EventUpdated, SeatsRejected, SeatsReleased, SeatsReserved,
)
from spine.views import View, execute

metadata = MetaData()
catalogue = Table(
    "catalogue", metadata,
    Column("event_id", PG_UUID, primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("start_time", TIMESTAMP(timezone=True), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("seats_available", Integer, nullable=False),
    Column("is_paid", Boolean, nullable=False),
    Column("price", Numeric),
    Column("currency", Text),
    Column("allowed_payment_methods", ARRAY(Text), nullable=False),
    Column("tags", ARRAY(Text), nullable=False),
    Column("created_by", PG_UUID, nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("cancel_reason", Text),
    Column("version", BigInteger, nullable=False),
    Index("catalogue_start_time", "start_time", "event_id"),
    Index("catalogue_tags", "tags", postgresql_using="gin"),
    Index("catalogue_created_by", "created_by"),
)

DETAIL_COLUMNS = tuple(EventDetails.model_fields)
_SEAT_MESSAGES = {m.__name__ for m in (SeatsReserved, SeatsRejected, SeatsReleased)}


class _SeatAnswer(BaseModel):
    """What the catalogue keeps of a seat answer (validating the whole answer was most of a replay's cost)."""

    model_config = ConfigDict(extra="ignore")
    event_id: UUID
    seats_available: int
_INSERTED = ("event_id", "title", "description", "start_time", "duration_minutes", "max_participants",
             "seats_available", "is_paid", "price", "currency", "allowed_payment_methods", "tags", "created_by",
             "created_at", "updated_at", "status", "version")

INSERT = insert(catalogue).values({c: bindparam(f"v_{c}") for c in _INSERTED}).on_conflict_do_nothing(
    index_elements=["event_id"])

# The newest seat count of each event in the batch, as arrays: one statement for the whole batch.
_seats = func.unnest(bindparam("ids", type_=ARRAY(PG_UUID)), bindparam("seats", type_=ARRAY(Integer)),
                     bindparam("ats", type_=ARRAY(TIMESTAMP(timezone=True))),
                     bindparam("versions", type_=ARRAY(BigInteger))
                     ).table_valued("event_id", "seats", "at", "version").render_derived(name="s")
SEATS = (update(catalogue)
         .values(seats_available=_seats.c.seats, updated_at=_seats.c.at, version=_seats.c.version)
         .where(catalogue.c.event_id == _seats.c.event_id, catalogue.c.version < _seats.c.version))


@cache
def _update(columns: tuple[str, ...]) -> Any:
    """UPDATE of these columns, only when the message is newer than the row (one statement per column set)."""
    return (update(catalogue).values({c: bindparam(f"v_{c}") for c in (*columns, "version")})
            .where(catalogue.c.event_id == bindparam("id"), catalogue.c.version < bindparam("v_version")))


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    return TypeAdapter(EventDetails.model_fields[field].annotation)


class CatalogueProjection(View):
    """Every event with its details, free seats and status."""

    name = "catalogue"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.EVENTS):
        # Tests feed it from a throwaway topic; production reads events.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        seats: dict[Any, tuple[int, Any, int]] = {}  # event id → (seats, at, version) of its newest answer
        for envelope in envelopes:
            if envelope.version != 1:
                continue  # a newer schema of a type we know is published side by side with v1
            if envelope.type in _SEAT_MESSAGES:
                e = _SeatAnswer.model_validate(envelope.payload)
                # The aggregate's modified_on moves with every answer; occurred_at is that time, so the
                # list and GET /events/{id} keep showing the same updated_at.
                if e.event_id not in seats or seats[e.event_id][2] <= envelope.aggregate_version:
                    seats[e.event_id] = (e.seats_available, envelope.occurred_at, envelope.aggregate_version)
                continue
            handler = {"EventCreated": self._created, "EventUpdated": self._updated,
                       "EventCancelled": self._cancelled}.get(envelope.type)
            if handler is not None:
                handler(cur, envelope, seats)
        _flush_seats(cur, seats)

    def _created(self, cur: Cursor, envelope: Envelope, seats: dict) -> None:
        e = EventCreated.model_validate(envelope.payload)
        _flush_seats(cur, {e.event_id: seats.pop(e.event_id)} if e.event_id in seats else {})
        row = {**{c: getattr(e, c, None) for c in _INSERTED}, "updated_at": e.created_at, "status": "scheduled",
               "version": envelope.aggregate_version}
        execute(cur, INSERT, {f"v_{c}": v for c, v in row.items()})

    def _updated(self, cur: Cursor, envelope: Envelope, seats: dict) -> None:
        e = EventUpdated.model_validate(envelope.payload)
        # Fields this code does not know (an additive contract change) are skipped, not fatal.
        changes = {k: _adapter(k).validate_python(v) for k, v in e.changes.items() if k in DETAIL_COLUMNS}
        changes.update(seats_available=e.seats_available, updated_at=e.updated_at)
        self._set(cur, envelope, changes, e.event_id, seats)

    def _cancelled(self, cur: Cursor, envelope: Envelope, seats: dict) -> None:
        e = EventCancelled.model_validate(envelope.payload)
        self._set(cur, envelope, {"status": "cancelled", "cancel_reason": e.reason, "updated_at": e.cancelled_at},
                  e.event_id, seats)

    @staticmethod
    def _set(cur: Cursor, envelope: Envelope, values: dict[str, Any], event_id: Any, seats: dict) -> None:
        """Update one row, only if this message is newer than what the row already shows."""
        _flush_seats(cur, {event_id: seats.pop(event_id)} if event_id in seats else {})
        statement = _update(tuple(sorted(values)))
        execute(cur, statement, {**{f"v_{k}": v for k, v in values.items()},
                                 "v_version": envelope.aggregate_version, "id": event_id})


def _flush_seats(cur: Cursor, seats: dict[Any, tuple[int, Any, int]]) -> None:
    if seats:
        ids = list(seats)
        execute(cur, SEATS, {"ids": ids, "seats": [seats[i][0] for i in ids], "ats": [seats[i][1] for i in ids],
                             "versions": [seats[i][2] for i in ids]})
        seats.clear()

