"""What a booking request is checked against: the event's terms and the platform's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from bookings_service.domain import (
    Booking, BookingRules, EventAlreadyStarted, EventIsCancelled, EventTerms, GroupSizeOutOfRange,
    PaymentMethodNotAllowed,
)

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def terms(**changes) -> EventTerms:
    values = dict(event_id=uuid4(), created_by=uuid4(), start_time=NOW + timedelta(days=1), status="scheduled",
                  is_paid=True, price=Decimal("12.50"), currency="EUR", allowed_payment_methods=("sandbox",),
                  max_participants=50, seats_available=50)
    return EventTerms(**{**values, **changes})


def request(t: EventTerms, group_size: int = 2, method: str | None = "sandbox", rules=BookingRules()) -> Booking:
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
