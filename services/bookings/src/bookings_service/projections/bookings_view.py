"""The `bookings_view` read model, fed from bookings.v1: lists of bookings, and what the worker's timer
looks for (lapsed holds, live bookings of cancelled events, events with people waiting).

Waitlist order: by acceptance number (`sequence`, from BookingRequested), as the line orders itself.
Bookings accepted before numbering come first, by their first Waitlisted timestamp (the Booking's Waitlisted
event was saved with the line's Joined event, so it follows the old join order).
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Numeric, Table, Text, text
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID

from contracts import Envelope, parse_payload, topics
from contracts.bookings import (
    BookingAwaitingPayment,
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingLatePaymentAccepted,
    BookingPromoted,
    BookingRejected,
    BookingRequested,
    BookingWaitlisted,
)
from spine.views import Rows, View

metadata = MetaData()
bookings_view = Table(
    "bookings_view", metadata,
    Column("booking_id", UUID, primary_key=True),
    Column("event_id", UUID, nullable=False),
    Column("user_id", UUID, nullable=False),
    Column("group_size", Integer, nullable=False),
    Column("payment_method", Text),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("payment_id", UUID),
    Column("amount", Numeric),
    Column("currency", Text),
    Column("expires_at", TIMESTAMP(timezone=True)),
    Column("waitlisted_at", TIMESTAMP(timezone=True)),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("confirmed_at", TIMESTAMP(timezone=True)),  # the attendee list shows it
    Column("sequence", BigInteger),  # acceptance number within the event: the line's order
    Index("bookings_view_user", "user_id", "created_at"),
    Index("bookings_view_event", "event_id", "status"),
    Index("bookings_view_holds", "expires_at", postgresql_where=text("status = 'awaiting_payment'")),
)
b = bookings_view.c

class BookingsView(View):
    """One row per booking with its current status."""

    name = "bookings_view"
    version = 3  # 2: confirmed_at; 3: sequence
    metadata = metadata

    def __init__(self, topic: str = topics.BOOKINGS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's bookings read once, changed message by message, written back in one statement."""
        messages = [(e.occurred_at, parse_payload(e)) for e in envelopes if e.version == 1]
        rows = Rows(cur, bookings_view, [getattr(m, "booking_id", None) for _, m in messages])
        for at, m in messages:
            if isinstance(m, BookingRequested):
                rows.insert(m.booking_id, {"event_id": m.event_id, "user_id": m.user_id, "group_size": m.group_size,
                                           "payment_method": m.payment_method, "status": "pending",
                                           "created_at": m.requested_at, "updated_at": at,
                                           "sequence": m.sequence})
            elif isinstance(m, BookingAwaitingPayment):
                _set(rows, m.booking_id, at, "awaiting_payment", payment_id=m.payment_id, amount=m.amount,
                     currency=m.currency, expires_at=m.expires_at)
            elif isinstance(m, BookingConfirmed):
                _set(rows, m.booking_id, at, "confirmed", expires_at=None, confirmed_at=at)
            elif isinstance(m, BookingWaitlisted):
                row = _set(rows, m.booking_id, at, "waitlisted")
                if row is not None and row["waitlisted_at"] is None:  # put back at its old place: keeps the first
                    row["waitlisted_at"] = at
            elif isinstance(m, BookingPromoted):
                _set(rows, m.booking_id, at, "pending")
            elif isinstance(m, BookingLatePaymentAccepted):  # asking for seats again: the sweeper must see it
                _set(rows, m.booking_id, at, "pending", payment_id=m.payment_id, expires_at=None)
            elif isinstance(m, BookingCancelled):
                _set(rows, m.booking_id, at, "cancelled", reason=m.reason, expires_at=None)
            elif isinstance(m, BookingRejected):
                _set(rows, m.booking_id, at, "rejected", reason=m.reason)
            elif isinstance(m, BookingExpired):
                _set(rows, m.booking_id, at, "expired", expires_at=None)
        rows.write(cur)


def _set(rows: Rows, booking_id: Any, at: Any, status: str, **values: Any) -> dict[str, Any] | None:
    return rows.update(booking_id, {"status": status, "updated_at": at, **values})
