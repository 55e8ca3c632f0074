"""Where a booking is in its saga: the domain's own enum of states.

The public side has `contracts.vocabulary.BookingStatus` (the HTTP schemas and read models show it). They are
two types on purpose: the domain imports no contract message types (the edge maps them), and a public
vocabulary only ever grows, additively, while the domain's states are the saga's to change. A unit test
(`tests/unit/test_booking_status.py`) keeps their values equal, so the domain can never reach a state the
public side cannot name; the edge converts by value (`contracts.vocabulary.BookingStatus(booking.status)`).
"""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """The states of a booking; the first four are live (the booking holds, asks for, or waits for seats)."""

    PENDING = "pending"  # asked the Event for seats (a request, a promotion, a late payment)
    AWAITING_PAYMENT = "awaiting_payment"  # seats held until `expires_at`
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_live(self) -> bool:
        """Not yet in a final state."""
        return self in LIVE


LIVE = frozenset({BookingStatus.PENDING, BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED,
                  BookingStatus.WAITLISTED})
FINAL = frozenset(BookingStatus) - LIVE
# Live states in which the Event holds (or is being asked for) seats: ending the booking releases them.
HOLDS_OR_ASKS_SEATS = frozenset({BookingStatus.PENDING, BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED})
