"""Two safety nets of the saga: a payment of the wrong amount or currency confirms nothing, and a booking
whose seat request went unanswered is asked again with the same attempt (never a second reservation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts.events import ReserveSeats, SeatsReserved
from contracts.payments import PaymentSucceeded, RefundPayment

from bookings_service.domain import Booking, EventTerms, payment_id_for
from bookings_service.testing import MemoryUnit, names

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def book(unit: MemoryUnit, *, paid: bool = False) -> Booking:
    """A booking that asked the Event for seats (its first messages already published)."""
    terms = EventTerms(event_id=uuid4(), created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                       is_paid=paid, price=Decimal("25.00") if paid else None, currency="EUR" if paid else None,
                       allowed_payment_methods=("sandbox",) if paid else (), max_participants=10, seats_available=10)
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms, group_size=1,
                              payment_method="sandbox" if paid else None, rules=unit.rules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    unit.published()
    return booking


def reserved(booking: Booking) -> SeatsReserved:
    return SeatsReserved(event_id=booking.event_id, booking_id=booking.id, seats=1, seats_available=5, attempt=1)


@pytest.fixture
def unit() -> MemoryUnit:
    return MemoryUnit(now=NOW)


def paid(booking, amount: str, currency: str) -> PaymentSucceeded:
    return PaymentSucceeded(payment_id=payment_id_for(booking.id, 1), booking_id=booking.id, user_id=booking.user_id,
                            amount=Decimal(amount), currency=currency)


@pytest.mark.parametrize(("amount", "currency"), [("1.00", "EUR"), ("25.00", "USD"), ("2500", "EUR")])
def test_a_payment_of_another_amount_or_currency_is_refunded_and_confirms_nothing(unit, amount, currency):
    booking = book(unit, paid=True)
    assert names(unit.given(reserved(booking))) == ["BookingAwaitingPayment", "RequestPayment"]
    (refund,) = unit.given(paid(booking, amount, currency))
    assert refund == RefundPayment(payment_id=payment_id_for(booking.id, 1), booking_id=booking.id,
                                   reason="amount_mismatch")
    assert booking.status == "awaiting_payment"
    assert unit.given(paid(booking, amount, currency)) == []  # a redelivery changes nothing


def test_the_exact_amount_in_any_notation_confirms(unit):
    booking = book(unit, paid=True)
    unit.given(reserved(booking))
    assert names(unit.given(paid(booking, "25", "eur"))) == ["BookingConfirmed"]


def test_a_stuck_request_is_sent_again_with_the_same_attempt_and_only_when_stuck():
    unit = MemoryUnit(now=NOW)
    booking = book(unit)
    waited = booking.modified_on
    assert not booking.redrive(waited + timedelta(seconds=30), timedelta(minutes=2))  # not stuck yet
    assert booking.redrive(waited + timedelta(minutes=3), timedelta(minutes=2))
    (again,) = unit.published()
    assert again == ReserveSeats(event_id=booking.event_id, booking_id=booking.id, seats=1, user_id=booking.user_id,
                                 attempt=1, repeat=True)
    assert booking.status == "pending" and booking.attempt == 1
    unit.given(reserved(booking))
    assert booking.status == "confirmed"
    assert not booking.redrive(waited + timedelta(hours=1), timedelta(minutes=2))  # answered: nothing to re-drive


def test_a_booking_asked_again_and_again_is_asked_less_and_less_often():
    unit = MemoryUnit(now=NOW)
    booking = book(unit)
    after = timedelta(minutes=2)
    asked_at = [booking.modified_on]
    for _ in range(3):
        now = asked_at[-1] + after * 2 ** (len(asked_at) - 1)
        assert not booking.redrive(now - timedelta(seconds=1), after)  # not yet: it backs off
        assert booking.redrive(now, after)
        asked_at.append(booking.modified_on)
    assert [type(m).__name__ for m in unit.published()] == ["ReserveSeats"] * 3
