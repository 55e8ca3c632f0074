"""The `event_bookings` read model: who holds which booking for which event, fed from `bookings.v1`.

The events service never asks the bookings service anything; it learns bookings from their public messages
(every one carries booking, event and user ids) and keeps the latest status per booking. Only a user with a
`confirmed` booking has attended, as far as reviews are concerned (a booking cancelled later no longer
counts). Exactly once in effect: spine records the Kafka position with the change, and each row keeps the
booking's aggregate version, so a redelivered, re-published or older message leaves the row as it is.
"""

from __future__ import annotations

from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, Index, MetaData, Table, Text, Uuid, exists, select

from contracts import Envelope, topics
from contracts.bookings import BookingRef
from spine.views import Rows, View, run

metadata = MetaData()

event_bookings = Table(
    "event_bookings", metadata,
    Column("booking_id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Index("event_bookings_attendee", "event_id", "user_id"),
)

CONFIRMED = "confirmed"
# bookings.v1 messages that are not about one booking (the lease ledger's use: projections/lease_use.py).
NOT_ABOUT_A_BOOKING = frozenset({"LeaseUseChanged"})

# The status each bookings.v1 message leaves its booking in (contracts.bookings.BookingStatus).
STATUS_AFTER = {
    "BookingRequested": "pending", "BookingAwaitingPayment": "awaiting_payment", "BookingConfirmed": CONFIRMED,
    "BookingWaitlisted": "waitlisted", "BookingPromoted": "pending", "BookingLatePaymentAccepted": "pending",
    "BookingCancelled": "cancelled", "BookingRejected": "rejected", "BookingExpired": "expired",
}


class AttendanceProjection(View):
    """One row per booking: its event, its user and its latest status."""

    name = "event_bookings"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.BOOKINGS):
        # Tests feed it from a throwaway topic; production reads bookings.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """Each booking's row added, or given a newer message's status; one statement each way per batch."""
        # Types this view does not use (or a newer schema published beside v1) are skipped.
        refs = [(e, STATUS_AFTER[e.type], BookingRef.model_validate(e.payload)) for e in envelopes
                if e.type in STATUS_AFTER and e.version == 1]
        rows = Rows(cur, event_bookings, [ref.booking_id for _, _, ref in refs])
        for envelope, status, ref in refs:
            rows.put(ref.booking_id, {"status": status}, envelope.aggregate_version,
                     first={"event_id": ref.event_id, "user_id": ref.user_id})
        rows.write(cur)


class Attendance:
    """Read side: did this user attend (hold a confirmed booking for) this event?"""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def confirmed(self, event_id: UUID, user_id: UUID) -> bool:
        """True when one of the user's bookings for the event is confirmed (a group booking counts once)."""
        query = select(exists().where(event_bookings.c.event_id == event_id, event_bookings.c.user_id == user_id,
                                      event_bookings.c.status == CONFIRMED).label("attended"))
        with self.pool.connection() as conn:
            row = run(conn, query).fetchone()
        return bool(row["attended"] if isinstance(row, dict) else row[0])
