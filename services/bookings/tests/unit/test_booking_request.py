"""What a booking request is checked against: the event's terms and the platform's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from bookings_service.domain import (
    Booking,
    BookingRules,
    EventAlreadyStarted,
    EventIsCancelled,
    EventTerms,
    GroupSizeOutOfRange,
    PaymentMethodNotAllowed,
)

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, tzinfo=UTC)
DEFAULT_RULES = BookingRules()  # frozen: one shared default


def terms(**changes) -> EventTerms:
    values = dict(event_id=uuid4(), created_by=uuid4(), start_time=NOW + timedelta(days=1), status="scheduled",
                  is_paid=True, price=Decimal("12.50"), currency="EUR", allowed_payment_methods=("sandbox",),
                  max_participants=50, seats_available=50)
    return EventTerms(**{**values, **changes})


def request(t: EventTerms, group_size: int = 2, method: str | None = "sandbox", rules=DEFAULT_RULES) -> Booking:
    return Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=t, group_size=group_size,
                           payment_method=method, rules=rules, now=NOW)


def test_a_paid_booking_costs_price_times_seats():
    booking = request(terms(), group_size=3)
    assert (booking.status, booking.amount, booking.currency) == ("pending", Decimal("37.50"), "EUR")


def test_a_free_booking_has_no_amount_and_ignores_a_payment_method():
    booking = request(terms(is_paid=False, price=None, currency=None, allowed_payment_methods=()), method="cash")
    assert (booking.amount, booking.payment_method) == (None, None)


@pytest.mark.parametrize("changes, error", [
    ({"status": "cancelled"}, EventIsCancelled),
    ({"start_time": NOW}, EventAlreadyStarted),
    ({"start_time": NOW - timedelta(hours=1)}, EventAlreadyStarted),
])
def test_events_that_cannot_be_booked(changes, error):
    with pytest.raises(error):
        request(terms(**changes))


@pytest.mark.parametrize("size", [0, -1, 11])
def test_group_size_must_be_between_one_and_the_maximum(size):
    with pytest.raises(GroupSizeOutOfRange):
        request(terms(), group_size=size)


def test_group_size_maximum_is_a_setting_and_never_above_capacity():
    assert request(terms(), group_size=20, rules=BookingRules(max_group_size=20)).group_size == 20
    with pytest.raises(GroupSizeOutOfRange):
        request(terms(max_participants=4), group_size=5)


@pytest.mark.parametrize("method", [None, "cash", "bitcoin"])
def test_paid_events_need_an_allowed_payment_method(method):
    with pytest.raises(PaymentMethodNotAllowed):
        request(terms(), method=method)


def test_rules_read_settings_and_keep_defaults_for_nonsense():
    rules = BookingRules.from_settings({"booking_hold_minutes": 5, "waitlist_policy": "strict_fifo",
                                        "waitlist_skip_limit": 2, "max_group_size": "x"})
    assert rules == BookingRules(booking_hold_minutes=5, waitlist_policy="strict_fifo", waitlist_skip_limit=2,
                                 max_group_size=10)
    assert BookingRules.from_settings({"waitlist_policy": "lottery", "booking_hold_minutes": -3}) == BookingRules()


def test_rules_clamp_values_above_their_bounds_and_read_the_new_settings():
    rules = BookingRules.from_settings({
        "booking_hold_minutes": 10_000_000_000, "max_group_size": 10**400, "waitlist_skip_limit": "1e30",
        "refund_fee_percent": 12.5, "cancellation_deadline_hours": 0, "max_seats_per_user_per_event": 4,
        "max_pending_payments_per_user": 2, "max_waitlist_length": 10**9})
    assert (rules.booking_hold_minutes, rules.max_group_size, rules.waitlist_skip_limit) == (10_080, 1_000, 1_000)
    assert (rules.refund_fee_percent, rules.cancellation_deadline_hours) == (Decimal("12.5"), 0)
    assert (rules.max_seats_per_user_per_event, rules.max_pending_payments_per_user,
            rules.max_waitlist_length) == (4, 2, 1_000_000)
    nonsense = {"refund_fee_percent": 150, "cancellation_deadline_hours": -1, "max_waitlist_length": 2.5,
                "max_pending_payments_per_user": float("inf"), "booking_hold_minutes": True}
    assert BookingRules.from_settings(nonsense) == BookingRules(refund_fee_percent=Decimal(100))


def test_a_hold_deadline_never_overflows_whatever_the_rules_say():
    assert BookingRules(booking_hold_minutes=10_000_000_000).hold_deadline(NOW) == NOW + timedelta(minutes=10_080)
    assert BookingRules(booking_hold_minutes=-5).hold_deadline(NOW) == NOW + timedelta(minutes=1)
    end = datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert BookingRules(booking_hold_minutes=10_080).hold_deadline(end) == datetime.max.replace(tzinfo=UTC)
