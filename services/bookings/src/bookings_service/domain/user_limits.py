"""Per-user limits on bookings: seats one account holds at one event, and paid bookings it has not paid yet.

Without them one account can hold every seat of an event, or park holds on many events at once.

Race safety: each user has a `UserBookings` ledger (one event stream) listing the bookings they made that
may still matter. A new booking is saved in the same transaction as the ledger's `Added` event, so two
concurrent requests of one user — in any api process — cannot both pass: the second save loses the
optimistic-concurrency race on the ledger, is re-run from fresh state, and then sees the first booking.
The ledger's counts are an upper bound (it forgets a booking only once it saw it end); only when that
bound might break a limit is each listed booking's current state read from the Booking itself (the event
store, always current) — never from the lagging `bookings_view`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bookings_service.domain import errors
from bookings_service.domain.booking import AWAITING_PAYMENT, CANCELLED, EXPIRED, LIVE, PENDING, REJECTED, Booking
from bookings_service.domain.terms import BookingRules

FINAL = (CANCELLED, REJECTED, EXPIRED)


def user_bookings_id(user_id: UUID) -> UUID:
    """Deterministic, so every api process finds the same ledger for a user."""
    return uuid5(NAMESPACE_URL, f"/users/{user_id}/bookings")


@dataclass(frozen=True)
class Holding:
    """What one of the user's bookings counts for right now."""

    event_id: UUID
    seats: int
    live: bool
    owes_payment: bool

    @classmethod
    def of(cls, booking: Booking) -> Holding:
        owes = booking.is_paid and booking.status in (PENDING, AWAITING_PAYMENT) and booking.paid_payment_id is None
        return cls(event_id=booking.event_id, seats=booking.group_size, live=booking.status in LIVE,
                   owes_payment=owes)


def check_user_limits(holdings: Iterable[Holding], *, event_id: UUID, group_size: int, is_paid: bool,
                      rules: BookingRules) -> None:
    """Refuses a request that would take the user over a per-user limit (waitlisted seats count: they are
    asked for). Pending payments count paid bookings not yet paid for, waiting for seats or for the payer."""
    holdings = list(holdings)
    held = sum(h.seats for h in holdings if h.live and h.event_id == event_id)
    limit = rules.max_seats_per_user_per_event
    if held + group_size > limit:
        raise errors.TooManySeatsForUser(
            f"one account may hold at most {limit} seats of an event; you hold or wait for {held}",
            limit=limit, seats_held=held)
    if is_paid:
        owing = sum(1 for h in holdings if h.owes_payment)
        most = rules.max_pending_payments_per_user
        if owing >= most:
            raise errors.TooManyPendingPayments(
                f"you have {owing} paid bookings awaiting payment (at most {most}); pay or cancel one first",
                limit=most, pending_payments=owing)


class UserBookings(Aggregate):
    """The bookings one user made that may still count towards their limits.

    Entries (keyed by str(booking_id)): event, seats, and whether it may still owe a payment. Bookings
    that ended are forgotten, and paid ones noted as settled, whenever a request finds them so.
    """

    @staticmethod
    def create_id(user_id: UUID) -> UUID:
        return user_bookings_id(user_id)

    @event("Opened")
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.entries: dict[str, dict[str, Any]] = {}

    def surely_within_limits(self, event_id: UUID, group_size: int, is_paid: bool, rules: BookingRules) -> bool:
        """True when even counting every listed booking as still live (the ledger only ever over-counts) the
        request stays within the limits: then no booking needs loading, which keeps a rush cheap."""
        event_key, seats, owing = str(event_id), 0, 0
        for entry in self.entries.values():  # one pass: a rush asks this for every request of a busy account
            if entry["event_id"] == event_key:
                seats += entry["seats"]
            owing += entry["owes"]
        return (seats + group_size <= rules.max_seats_per_user_per_event
                and (not is_paid or owing < rules.max_pending_payments_per_user))

    def relevant_to(self, event_id: UUID) -> list[UUID]:
        """Bookings that can count for a request at `event_id`: that event's, and any that may still owe money."""
        return [UUID(key) for key, entry in self.entries.items()
                if entry["event_id"] == str(event_id) or entry["owes"]]

    def add(self, booking: Booking) -> None:
        """A new booking of this user (saved with it, in one transaction)."""
        self._added(booking_id=booking.id, event_id=booking.event_id, seats=booking.group_size,
                    owes=booking.is_paid)

    @event("Added")
    def _added(self, booking_id: UUID, event_id: UUID, seats: int, owes: bool) -> None:
        self.entries[str(booking_id)] = {"event_id": str(event_id), "seats": seats, "owes": owes}

    def refresh(self, found: dict[UUID, Booking | None]) -> None:
        """Forget bookings that ended (a booking expired and then paid late is not counted again: rare, and
        paid for); stop checking payments of bookings that were paid."""
        forgotten, settled = [], []
        for booking_id, booking in found.items():
            key = str(booking_id)
            if key not in self.entries:
                continue
            if booking is None or booking.status in FINAL:
                forgotten.append(key)
            elif self.entries[key]["owes"] and booking.paid_payment_id is not None:
                settled.append(key)
        if forgotten or settled:
            self._refreshed(forgotten=forgotten, settled=settled)

    @event("Refreshed")
    def _refreshed(self, forgotten: list[str], settled: list[str]) -> None:
        for key in forgotten:
            self.entries.pop(key, None)
        for key in settled:
            if key in self.entries:
                self.entries[key]["owes"] = False
