"""The `catalogue` view: one row per event, fed from `events.v1`; it serves GET /api/v1/events/.

Built only from public messages, so it can be dropped and rebuilt from offset 0 of the topic. Each row
keeps the aggregate version it reflects; an older or repeated message leaves it unchanged. The seat
answers (SeatsReserved/Rejected/Released) carry the free seats after them, so `seats_available` is the
latest of those (or of EventUpdated); answers about unknown events (version 0) match no row.

Seat leases (issue 8): `seats_available` here is the Event's unallocated count, and `seats_leased` what it
has out on lease (from SeatsLeased / LeasedSeatsReturned). What a visitor sees is computed when read
(`catalogue_query`): unallocated + leased seats no booking holds, from the `lease_use` view (bookings.v1).

A rush puts hundreds of seat answers for a few events in one batch: the batch's rows are read once, every
message changes them in memory in order (same guards as above) and they are written back with one upsert
(`spine.views.Rows`).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from psycopg import Cursor
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, topics
from contracts.events import (
    EventCancelled,
    EventCreated,
    EventDetails,
    EventUpdated,
    LeasedSeatsReturned,
    SeatsLeased,
    SeatsRejected,
    SeatsReleased,
    SeatsReserved,
)
from spine.views import Rows, View

metadata = MetaData()
catalogue = Table(
    "catalogue", metadata,
    Column("event_id", PG_UUID, primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("start_time", TIMESTAMP(timezone=True), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("seats_available", Integer, nullable=False),  # the Event's unallocated seats (not reserved, not leased)
    Column("seats_leased", Integer, nullable=False, server_default="0"),  # out on lease to bookings' ledger
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
_LEASE_MESSAGES = {m.__name__ for m in (SeatsLeased, LeasedSeatsReturned)}


class _SeatAnswer(BaseModel):
    """What the catalogue keeps of a seat answer (validating the whole answer was most of a replay's cost)."""

    model_config = ConfigDict(extra="ignore")
    event_id: UUID
    seats_available: int


class _LeaseAnswer(BaseModel):
    """What the catalogue keeps of a lease grant or return: the Event's seat counts after it."""

    model_config = ConfigDict(extra="ignore")
    event_id: UUID
    seats_leased: int
    seats_unallocated: int


_INSERTED = ("event_id", "title", "description", "start_time", "duration_minutes", "max_participants",
             "seats_available", "is_paid", "price", "currency", "allowed_payment_methods", "tags", "created_by",
             "created_at", "updated_at", "status", "version")


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    annotation = EventDetails.model_fields[field].annotation
    if annotation is None:  # every EventDetails field is annotated; pydantic's type allows None
        raise TypeError(f"EventDetails.{field} has no type")
    return TypeAdapter(annotation)


class CatalogueProjection(View):
    """Every event with its details, free seats and status."""

    name = "catalogue"
    version = 2  # 2: seats_leased (seat leases, issue 8)
    metadata = metadata

    def __init__(self, topic: str = topics.EVENTS):
        # Tests feed it from a throwaway topic; production reads events.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        # A newer schema of a type we know is published side by side with v1: skipped.
        known = [(e, _MODELS[e.type].model_validate(e.payload)) for e in envelopes
                 if e.version == 1 and e.type in _MODELS]
        rows = Rows(cur, catalogue, [m.event_id for _, m in known])
        for envelope, m in known:
            version = envelope.aggregate_version
            if isinstance(m, _SeatAnswer):
                # The aggregate's modified_on moves with every answer; occurred_at is that time, so the
                # list and GET /events/{id} keep showing the same updated_at.
                rows.update(m.event_id, {"seats_available": m.seats_available, "updated_at": envelope.occurred_at},
                            version)
            elif isinstance(m, _LeaseAnswer):
                rows.update(m.event_id, {"seats_available": m.seats_unallocated, "seats_leased": m.seats_leased,
                                         "updated_at": envelope.occurred_at}, version)
            elif isinstance(m, EventCreated):
                rows.insert(m.event_id, {**{c: getattr(m, c, None) for c in _INSERTED}, "updated_at": m.created_at,
                                         "status": "scheduled", "seats_leased": 0, "version": version})
            elif isinstance(m, EventUpdated):
                # Fields this code does not know (an additive contract change) are skipped, not fatal.
                changes = {k: _adapter(k).validate_python(v) for k, v in m.changes.items() if k in DETAIL_COLUMNS}
                rows.update(m.event_id, {**changes, "seats_available": m.seats_available,
                                         "updated_at": m.updated_at}, version)
            elif isinstance(m, EventCancelled):
                rows.update(m.event_id, {"status": "cancelled", "cancel_reason": m.reason,
                                         "updated_at": m.cancelled_at}, version)
        rows.write(cur)


_MODELS: dict[str, Any] = {"EventCreated": EventCreated, "EventUpdated": EventUpdated,
                          "EventCancelled": EventCancelled, **dict.fromkeys(_SEAT_MESSAGES, _SeatAnswer),
                          **dict.fromkeys(_LEASE_MESSAGES, _LeaseAnswer)}
