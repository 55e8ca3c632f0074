"""The `bookings_view` read model, fed from bookings.v1: lists of bookings, and what the worker's timer
looks for (lapsed holds, live bookings of cancelled events, events with people waiting).

Waitlist order: by acceptance number (`sequence`, from BookingRequested), as the line orders itself.
Bookings accepted before numbering come first, by their first Waitlisted timestamp (the Booking's Waitlisted
event was saved with the line's Joined event, so it follows the old join order).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Numeric, Table, Text, bindparam, func, text, update
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID, insert

from contracts import Envelope, parse_payload, topics
from contracts.bookings import (
    BookingAwaitingPayment, BookingCancelled, BookingConfirmed, BookingExpired, BookingLatePaymentAccepted,
    BookingPromoted, BookingRejected, BookingRequested, BookingWaitlisted,
)
from spine.views import View, execute

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

REQUESTED = insert(bookings_view).values(
    booking_id=bindparam("id"), event_id=bindparam("v_event_id"), user_id=bindparam("v_user_id"),
    group_size=bindparam("v_group_size"), payment_method=bindparam("v_payment_method"), status="pending",
    created_at=bindparam("v_created_at"), updated_at=bindparam("v_updated_at"), sequence=bindparam("v_sequence"),
).on_conflict_do_nothing(index_elements=["booking_id"])
WAITLISTED = update(bookings_view).values(
    status="waitlisted", updated_at=bindparam("v_at"), waitlisted_at=func.coalesce(b.waitlisted_at, bindparam("v_at")),
).where(b.booking_id == bindparam("id"))


@cache
def _update(columns: tuple[str, ...]) -> Any:
    """UPDATE of the status, updated_at and these columns (one statement per column set)."""
    return (update(bookings_view).values({c: bindparam(f"v_{c}") for c in ("status", "updated_at", *columns)})
            .where(b.booking_id == bindparam("id")))


class BookingsView(View):
    """One row per booking with its current status."""

    name = "bookings_view"
    version = 3  # 2: confirmed_at; 3: sequence
    metadata = metadata

    def __init__(self, topic: str = topics.BOOKINGS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return
        m = parse_payload(envelope)
        at = envelope.occurred_at
        if isinstance(m, BookingRequested):
            execute(cur, REQUESTED, {"id": m.booking_id, "v_event_id": m.event_id, "v_user_id": m.user_id,
                                     "v_group_size": m.group_size, "v_payment_method": m.payment_method,
                                     "v_created_at": m.requested_at, "v_updated_at": at, "v_sequence": m.sequence})
        elif isinstance(m, BookingAwaitingPayment):
            self._set(cur, m.booking_id, at, "awaiting_payment", payment_id=m.payment_id, amount=m.amount,
                      currency=m.currency, expires_at=m.expires_at)
        elif isinstance(m, BookingConfirmed):
            self._set(cur, m.booking_id, at, "confirmed", expires_at=None, confirmed_at=at)
        elif isinstance(m, BookingWaitlisted):
            execute(cur, WAITLISTED, {"id": m.booking_id, "v_at": at})
        elif isinstance(m, BookingPromoted):
            self._set(cur, m.booking_id, at, "pending")
        elif isinstance(m, BookingLatePaymentAccepted):  # asking for seats again: the sweeper must see it
            self._set(cur, m.booking_id, at, "pending", payment_id=m.payment_id, expires_at=None)
        elif isinstance(m, BookingCancelled):
            self._set(cur, m.booking_id, at, "cancelled", reason=m.reason, expires_at=None)
        elif isinstance(m, BookingRejected):
            self._set(cur, m.booking_id, at, "rejected", reason=m.reason)
        elif isinstance(m, BookingExpired):
            self._set(cur, m.booking_id, at, "expired", expires_at=None)

    @staticmethod
    def _set(cur: Cursor, booking_id: Any, at: Any, status: str, **values: Any) -> None:
        execute(cur, _update(tuple(sorted(values))), {**{f"v_{k}": v for k, v in values.items()},
                                                      "v_status": status, "v_updated_at": at, "id": booking_id})
