"""Cancellation deadline and refund fee (domain/cancellation.py), as given-message / expect-command scenarios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts.bookings import BookingCancelled
from contracts.events import EventCancelled, SeatsRejected, SeatsReserved
from contracts.payments import PaymentSucceeded, RefundPayment

from bookings_service.domain import (
    Actor,
    Booking,
    BookingRules,
    CancellationDeadlinePassed,
    CancellationTerms,
    EventTerms,
    refund_after_fee,
)
from bookings_service.testing import MemoryUnit, names

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
STARTS = NOW + timedelta(days=3)
EVENT = uuid4()
ADMIN = Actor(uuid4(), may_manage_any=True)


def terms(*, paid: bool = True, price: str = "25.00", currency: str = "EUR") -> EventTerms:
    return EventTerms(event_id=EVENT, created_by=uuid4(), start_time=STARTS, status="scheduled", is_paid=paid,
                      price=Decimal(price) if paid else None, currency=currency if paid else None,
                      allowed_payment_methods=("sandbox",) if paid else (), max_participants=10, seats_available=10)


def at(now: datetime, *, hours: int = 24, fee: str = "10") -> CancellationTerms:
    return CancellationTerms(now=now, starts_at=STARTS, deadline_hours=hours, fee_percent=Decimal(fee))


def confirmed(unit: MemoryUnit, *, paid: bool = True, seats: int = 2, **kw) -> Booking:
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(paid=paid, **kw), group_size=seats,
                              payment_method="sandbox" if paid else None, rules=unit.rules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    unit.given(SeatsReserved(event_id=EVENT, booking_id=booking.id, seats=seats, seats_available=5, attempt=1))
    if paid:
        unit.given(PaymentSucceeded(payment_id=booking.payment_id, booking_id=booking.id, user_id=booking.user_id,
                                    amount=booking.amount, currency=booking.currency))
    assert booking.status == "confirmed"
    return booking


@pytest.fixture
def unit() -> MemoryUnit:
    return MemoryUnit(now=NOW)


@pytest.mark.parametrize("amount, currency, percent, refund, fee", [
    ("50.00", "EUR", "10", "45.00", "5.00"),
    ("33.33", "EUR", "12.5", "29.17", "4.16"),  # fee 4.16625 rounded down: never more than the percentage
    ("1000", "JPY", "3.3", "967", "33"),
    ("1.125", "KWD", "10", "1.013", "0.112"),
    ("50.00", "EUR", "0", "50.00", "0.00"),
    ("50.00", "EUR", "100", "0.00", "50.00"),
])
def test_the_fee_is_a_percentage_rounded_down_to_the_minor_unit(amount, currency, percent, refund, fee):
    split = refund_after_fee(Decimal(amount), currency, Decimal(percent))
    assert (split.refund, split.fee) == (Decimal(refund), Decimal(fee))
    assert split.refund + split.fee == Decimal(amount)


def test_a_participant_cancelling_in_time_gets_the_price_back_less_the_fee(unit):
    booking = confirmed(unit)
    payment_id = booking.paid_payment_id
    booking.cancel(Actor(booking.user_id), at(STARTS - timedelta(hours=25)))
    cancelled, release, refund = unit.published()
    assert isinstance(cancelled, BookingCancelled) and cancelled.reason == "user"
    assert (cancelled.refund_payment_id, cancelled.refund_amount) == (payment_id, Decimal("45.00"))
    assert release.reason == "user"
    assert refund == RefundPayment(payment_id=payment_id, booking_id=booking.id, reason="user",
                                   amount=Decimal("45.00"))
    assert booking.refund_fee == Decimal("5.00")


def test_without_a_fee_the_refund_is_whole_and_names_no_amount(unit):
    booking = confirmed(unit)
    booking.cancel(Actor(booking.user_id), at(NOW, fee="0"))
    *_, refund = unit.published()
    assert isinstance(refund, RefundPayment) and refund.amount is None


@pytest.mark.parametrize("late", [timedelta(hours=24), timedelta(hours=1), timedelta(0), -timedelta(hours=2)])
def test_after_the_deadline_a_participant_cannot_cancel_a_confirmed_booking(unit, late):
    booking = confirmed(unit)
    with pytest.raises(CancellationDeadlinePassed) as refused:
        booking.cancel(Actor(booking.user_id), at(STARTS - late))
    assert refused.value.deadline == STARTS - timedelta(hours=24)
    assert refused.value.problem_extensions == {"cancellation_deadline": (STARTS - timedelta(hours=24)).isoformat()}
    assert booking.status == "confirmed" and unit.published() == []


def test_the_deadline_is_a_setting_and_zero_means_until_the_start(unit):
    booking = confirmed(unit, paid=False)
    with pytest.raises(CancellationDeadlinePassed):
        booking.cancel(Actor(booking.user_id), at(STARTS - timedelta(hours=47), hours=48))
    booking.cancel(Actor(booking.user_id), at(STARTS - timedelta(minutes=1), hours=0))
    assert booking.status == "cancelled"


def test_an_admin_cancels_after_the_deadline_for_operational_reasons_with_a_full_refund(unit):
    booking = confirmed(unit)
    booking.cancel(ADMIN, at(STARTS + timedelta(hours=1)))
    cancelled, _release, refund = unit.published()
    assert cancelled.reason == "admin" and cancelled.refund_amount is None
    assert refund.amount is None and refund.reason == "admin"


def test_leaving_the_line_or_an_unpaid_hold_is_possible_after_the_deadline(unit):
    late = at(STARTS - timedelta(hours=1))
    waiting = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(), group_size=1,
                              payment_method="sandbox", rules=unit.rules(), now=NOW)
    waiting.request_seats()
    holding = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(), group_size=1,
                              payment_method="sandbox", rules=unit.rules(), now=NOW)
    holding.request_seats()
    unit.add(waiting, holding)
    unit.given(SeatsRejected(event_id=EVENT, booking_id=waiting.id, seats=1, reason="full", seats_available=0))
    unit.given(SeatsReserved(event_id=EVENT, booking_id=holding.id, seats=1, seats_available=0))
    unit.published()
    waiting.cancel(Actor(waiting.user_id), late)
    holding.cancel(Actor(holding.user_id), late)
    assert (waiting.reason, holding.reason) == ("left_waitlist", "user")
    assert "RefundPayment" not in names(unit.published())


def test_a_fee_of_everything_refunds_nothing(unit):
    booking = confirmed(unit)
    booking.cancel(Actor(booking.user_id), at(NOW, fee="100"))
    cancelled, release = unit.published()
    assert cancelled.refund_payment_id is None and booking.refund_fee == Decimal("50.00")
    assert release.reason == "user"


def test_event_cancellations_refund_in_full_whatever_the_fee():
    unit = MemoryUnit(now=NOW, rules_value=BookingRules(refund_fee_percent=Decimal(50)))
    confirmed(unit)
    out = unit.given(EventCancelled(event_id=EVENT, cancelled_at=NOW))
    refund = next(m for m in out if isinstance(m, RefundPayment))
    assert refund.amount is None and refund.reason == "event_cancelled"


def test_money_arriving_for_a_cancelled_booking_goes_back_in_full(unit):
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms(), group_size=1,
                              payment_method="sandbox", rules=unit.rules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    unit.given(SeatsReserved(event_id=EVENT, booking_id=booking.id, seats=1, seats_available=0))
    booking.cancel(Actor(booking.user_id), at(NOW, fee="30"))
    unit.published()
    (refund,) = unit.given(PaymentSucceeded(payment_id=booking.payment_id, booking_id=booking.id,
                                            user_id=booking.user_id, amount=Decimal("25.00"), currency="EUR"))
    assert refund.amount is None and refund.reason == "booking_not_live"
