"""The `lease_use` view: how many of an event's leased seats bookings hold, fed from `bookings.v1`.

With seat leases (issue 8) the Event counts leased seats as gone, yet a lease's free seats are bookable
at once. So the catalogue's `seats_available` is the Event's unallocated seats plus the lease's free ones:
`capacity - reserved - in_use` (`domain.seats.bookable_seats`). The Event's figures arrive on `events.v1`,
the ledger's on `bookings.v1` (`LeaseUseChanged`, one per ledger save): two topics, two orders. Each row
keeps the ledger version it reflects and an older message leaves it alone, so whatever the interleaving
(or a rebuild from offset 0) the view ends at the latest figure; the two are combined only when read.
"""

from __future__ import annotations

from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Uuid, select

from contracts import Envelope, topics
from contracts.bookings import LeaseUseChanged
from spine.views import Rows, View, fetch

metadata = MetaData()

lease_use = Table(
    "lease_use", metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("leased", Integer, nullable=False),  # as the ledger counts them (the Event's count is the catalogue's)
    Column("in_use", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),  # the ledger version these figures are from
)


class LeaseUseProjection(View):
    """One row per event that ever leased: the ledger's latest use."""

    name = "lease_use"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.BOOKINGS):
        # Tests feed it from a throwaway topic; production reads bookings.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """A batch's figures: per event the newest ledger version wins; older or repeated ones change nothing."""
        uses = [LeaseUseChanged.model_validate(e.payload) for e in envelopes
                if e.type == "LeaseUseChanged" and e.version == 1]
        rows = Rows(cur, lease_use, [u.event_id for u in uses])
        for u in uses:
            rows.put(u.event_id, {"leased": u.leased, "in_use": u.in_use}, u.ledger_version)
        rows.write(cur)


class LeaseUse:
    """Read side: the leased seats in use, for the single-event answers (the list joins the table itself)."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def in_use(self, event_id: UUID) -> int | None:
        """Leased seats bookings hold for the event, or None when its ledger has not been heard of."""
        with self.pool.connection() as conn:
            rows = fetch(conn, select(lease_use.c.in_use).where(lease_use.c.event_id == event_id))
        return int(rows[0]["in_use"] if isinstance(rows[0], dict) else rows[0][0]) if rows else None
