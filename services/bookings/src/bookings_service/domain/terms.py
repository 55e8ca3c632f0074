"""What a booking is checked against: the event's terms (from the catalogue replica) and platform rules
(from the settings replica). Plain values, so the aggregate stays free of I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from bookings_service.domain import errors

WAITLIST_POLICIES = ("strict_fifo", "first_fit", "first_fit_fair")


@dataclass(frozen=True)
class EventTerms:
    """The parts of a catalogue event that decide whether, and at what price, it can be booked."""

    event_id: UUID
    created_by: UUID
    start_time: datetime
    status: str
    is_paid: bool
    price: Decimal | None
    currency: str | None
    allowed_payment_methods: tuple[str, ...]
    max_participants: int
    seats_available: int
    version: int = 0

    def check_bookable(self, now: datetime) -> None:
        """Only scheduled events that have not started take bookings."""
        if self.status == "cancelled":
            raise errors.EventIsCancelled(f"event {self.event_id} is cancelled")
        if self.start_time <= now:
            raise errors.EventAlreadyStarted(f"event {self.event_id} started at {self.start_time.isoformat()}")

    def check_payment_method(self, payment_method: str | None) -> str | None:
        """The method the booking will pay with: required and allowed for paid events, none for free ones."""
        if not self.is_paid:
            return None  # nothing to pay: a method sent anyway is ignored rather than refused
        if payment_method is None:
            raise errors.PaymentMethodNotAllowed(
                f"this event is paid: choose a payment_method among {', '.join(self.allowed_payment_methods)}")
        if payment_method not in self.allowed_payment_methods:
            raise errors.PaymentMethodNotAllowed(
                f"payment_method {payment_method!r} is not accepted for this event; "
                f"allowed: {', '.join(self.allowed_payment_methods) or 'none'}")
        return payment_method

    def amount_for(self, group_size: int) -> Decimal | None:
        """Price × seats for paid events."""
        return self.price * group_size if self.is_paid and self.price is not None else None


@dataclass(frozen=True)
class BookingRules:
    """Platform settings the bookings service obeys (users.v1 SettingChanged), with their defaults."""

    booking_hold_minutes: int = 15
    waitlist_policy: str = "first_fit_fair"
    waitlist_skip_limit: int = 3
    max_group_size: int = 10

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> BookingRules:
        """Rules from raw setting values; a missing or unusable value keeps its default."""
        defaults = cls()
        skip_limit = values.get("waitlist_skip_limit")
        return cls(
            booking_hold_minutes=_whole_positive(values.get("booking_hold_minutes"), defaults.booking_hold_minutes),
            waitlist_policy=(values.get("waitlist_policy") if values.get("waitlist_policy") in WAITLIST_POLICIES
                             else defaults.waitlist_policy),
            waitlist_skip_limit=_whole_positive(skip_limit, defaults.waitlist_skip_limit),
            max_group_size=_whole_positive(values.get("max_group_size"), defaults.max_group_size),
        )

    def check_group_size(self, group_size: int, terms: EventTerms) -> None:
        """A booking asks for 1..max_group_size seats, and never more than the event could ever hold."""
        limit = min(self.max_group_size, terms.max_participants)
        if not 1 <= group_size <= limit:
            raise errors.GroupSizeOutOfRange(f"group_size must be between 1 and {limit}, got {group_size}")


def _whole_positive(value: Any, default: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return int(number) if number.is_integer() and number > 0 else default


@dataclass(frozen=True)
class Actor:
    """Who is asking, as the Booking aggregate sees them."""

    user_id: UUID
    may_manage_any: bool = False
    may_read_all: bool = False
