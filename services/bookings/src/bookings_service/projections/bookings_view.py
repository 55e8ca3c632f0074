"""The `bookings_view` read model, fed from bookings.v1: lists of bookings, and what the worker's timer
looks for (lapsed holds, live bookings of cancelled events, events with people waiting).

Waitlist order: the Booking's Waitlisted event is saved together with the Waitlist's Joined event, and
a join that lost a race is re-run from a fresh load, so the first Waitlisted timestamp of each booking
follows the line's order. A booking put back at its old place keeps its first `waitlisted_at`.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from contracts import Envelope, parse_payload, topics
from contracts.bookings import (
    BookingAwaitingPayment, BookingCancelled, BookingConfirmed, BookingExpired, BookingLatePaymentAccepted,
    BookingPromoted, BookingRejected, BookingRequested, BookingWaitlisted,
)
from spine.projector import SqlProjection

DDL = """
CREATE TABLE IF NOT EXISTS bookings_view (
    booking_id uuid PRIMARY KEY,
    event_id uuid NOT NULL,
    user_id uuid NOT NULL,
    group_size int NOT NULL,
    payment_method text,
    status text NOT NULL,
    reason text,
    payment_id uuid,
    amount numeric,
    currency text,
    expires_at timestamptz,
    waitlisted_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bookings_view_user ON bookings_view (user_id, created_at);
CREATE INDEX IF NOT EXISTS bookings_view_event ON bookings_view (event_id, status);
CREATE INDEX IF NOT EXISTS bookings_view_holds ON bookings_view (expires_at) WHERE status = 'awaiting_payment'
"""


class BookingsView(SqlProjection):
    """One row per booking with its current status."""

    name = "bookings_view"

    def __init__(self, topic: str = topics.BOOKINGS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute(DDL)

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE bookings_view")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return
        m = parse_payload(envelope)
        at = envelope.occurred_at
        if isinstance(m, BookingRequested):
            cur.execute("INSERT INTO bookings_view (booking_id, event_id, user_id, group_size, payment_method,"
                        " status, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'pending', %s, %s)"
                        " ON CONFLICT (booking_id) DO NOTHING",
                        (m.booking_id, m.event_id, m.user_id, m.group_size, m.payment_method, m.requested_at, at))
        elif isinstance(m, BookingAwaitingPayment):
            self._set(cur, m.booking_id, at, "awaiting_payment", payment_id=m.payment_id, amount=m.amount,
                      currency=m.currency, expires_at=m.expires_at)
        elif isinstance(m, BookingConfirmed):
            self._set(cur, m.booking_id, at, "confirmed", expires_at=None)
        elif isinstance(m, BookingWaitlisted):
            cur.execute("UPDATE bookings_view SET status = 'waitlisted', updated_at = %s,"
                        " waitlisted_at = COALESCE(waitlisted_at, %s) WHERE booking_id = %s", (at, at, m.booking_id))
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

    def _set(self, cur: Cursor, booking_id: Any, at: Any, status: str, **values: Any) -> None:
        columns = "".join(f", {name} = %({name})s" for name in values)
        cur.execute(f"UPDATE bookings_view SET status = %(status)s, updated_at = %(at)s{columns}"  # noqa: S608
                    " WHERE booking_id = %(booking_id)s",
                    {**values, "status": status, "at": at, "booking_id": booking_id})
