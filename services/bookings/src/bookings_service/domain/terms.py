"""What a booking is checked against: the event's terms (from the catalogue replica) and platform rules
(from the settings replica). Plain values, so the aggregate stays free of I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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


# Bounds of each numeric setting bookings obeys; they mirror the users service's KNOWN_SETTINGS (which refuses
# anything outside them), and are applied again here so a value stored before the bounds existed, or a
# replica gone wrong, can never overflow a deadline or switch a limit off.
BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "booking_hold_minutes": (Decimal(1), Decimal(10_080)),
    "waitlist_skip_limit": (Decimal(1), Decimal(1_000)),
    "max_group_size": (Decimal(1), Decimal(1_000)),
    "refund_fee_percent": (Decimal(0), Decimal(100)),
    "cancellation_deadline_hours": (Decimal(0), Decimal(8_760)),
    "max_seats_per_user_per_event": (Decimal(1), Decimal(100_000)),
    "max_pending_payments_per_user": (Decimal(1), Decimal(1_000)),
    "max_waitlist_length": (Decimal(1), Decimal(1_000_000)),
    "cash_hold_minutes_before_start": (Decimal(0), Decimal(10_080)),
}


@dataclass(frozen=True)
class BookingRules:
    """Platform settings the bookings service obeys (users.v1 SettingChanged), with their defaults."""

    booking_hold_minutes: int = 15
    waitlist_policy: str = "first_fit_fair"
    waitlist_skip_limit: int = 3
    max_group_size: int = 10
    refund_fee_percent: Decimal = Decimal(0)
    cancellation_deadline_hours: int = 24
    max_seats_per_user_per_event: int = 10
    max_pending_payments_per_user: int = 5
    max_waitlist_length: int = 1_000
    cash_hold_minutes_before_start: int = 0

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> BookingRules:
        """Rules from raw setting values: garbage or a value below its bound keeps the default, a value above
        its bound is clamped to it."""
        defaults = cls()
        numbers: dict[str, Any] = {}
        for key in BOUNDS:
            default = getattr(defaults, key)
            number = _bounded(values.get(key), key, whole=isinstance(default, int))
            numbers[key] = default if number is None else type(default)(number)
        policy = values.get("waitlist_policy")
        return cls(waitlist_policy=policy if policy in WAITLIST_POLICIES else defaults.waitlist_policy, **numbers)

    def check_group_size(self, group_size: int, terms: EventTerms) -> None:
        """A booking asks for 1..max_group_size seats, and never more than the event could ever hold."""
        limit = min(self.max_group_size, terms.max_participants)
        if not 1 <= group_size <= limit:
            raise errors.GroupSizeOutOfRange(f"group_size must be between 1 and {limit}, got {group_size}")

    def hold_deadline(self, now: datetime, *, cash_until: datetime | None = None) -> datetime:
        """When a payment hold starting `now` lapses; never an overflow, whatever the setting says.

        Cash is paid at the door, so a cash booking (`cash_until`: its event's start) is held until
        `cash_hold_minutes_before_start` before the start — never less than `booking_hold_minutes`."""
        low, high = BOUNDS["booking_hold_minutes"]
        minutes = min(max(int(self.booking_hold_minutes), int(low)), int(high))
        try:
            deadline = now + timedelta(minutes=minutes)
        except OverflowError:  # `now` itself at the end of the calendar: hold as long as the calendar goes
            return datetime.max.replace(tzinfo=now.tzinfo)
        if cash_until is None:
            return deadline
        low, high = BOUNDS["cash_hold_minutes_before_start"]
        before = min(max(int(self.cash_hold_minutes_before_start), int(low)), int(high))
        try:
            return max(deadline, cash_until - timedelta(minutes=before))
        except OverflowError:
            return deadline


def _bounded(value: Any, key: str, *, whole: bool) -> Decimal | None:
    """`value` as a number within `key`'s bounds (clamped from above), or None when it is unusable."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    low, high = BOUNDS[key]
    if not number.is_finite() or number < low or (whole and number != number.to_integral_value()):
        return None
    return min(number, high)


@dataclass(frozen=True)
class Actor:
    """Who is asking, as the Booking aggregate sees them."""

    user_id: UUID
    may_manage_any: bool = False
    may_read_all: bool = False
