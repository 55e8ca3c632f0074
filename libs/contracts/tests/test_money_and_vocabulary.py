"""Money is written with its currency's minor units everywhere; statuses and reasons are one vocabulary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts import bookings, events, payments, wrap
from contracts.currencies import MINOR_UNITS
from contracts.money import canonical, format_amount
from contracts.vocabulary import (
    BookingStatus,
    PaymentMethod,
    PaymentStatus,
    RefundReason,
    SeatsRejectedReason,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("amount", "currency", "written"), [
    ("10", "EUR", "10.00"), (Decimal("10.5"), "USD", "10.50"), (10, "eur", "10.00"), ("1000", "JPY", "1000"),
    ("1000.00", "JPY", "1000"), (Decimal("1E+3"), "JPY", "1000"), ("10", "KWD", "10.000"), ("0", "EUR", "0.00"),
    # Never rounded: a value finer than its currency (inputs refuse it) or in an unknown code stays as it is.
    ("10.005", "EUR", "10.005"), ("10", "XYZ", "10"), (None, "EUR", None),
])
def test_amounts_are_written_with_their_currency_minor_units(amount, currency, written):
    assert format_amount(amount, currency) == written
    if amount is not None:
        assert canonical(amount, currency) == Decimal(str(amount))  # the value never changes


def test_every_message_with_an_amount_and_its_currency_writes_it_canonically():
    ids = {"payment_id": uuid4(), "booking_id": uuid4(), "user_id": uuid4()}
    messages = [
        payments.PaymentSucceeded(**ids, amount=Decimal("50"), currency="EUR"),
        payments.PaymentRefunded(**ids, amount="50", currency="EUR", reason="user"),
        payments.RequestPayment(**ids, event_id=uuid4(), amount=Decimal("50"), currency="EUR", payment_method="card"),
        payments.PaymentRequested(**ids, amount=Decimal("5000"), currency="JPY", payment_method="card",
                                  provider="sandbox"),
        bookings.BookingAwaitingPayment(booking_id=uuid4(), event_id=uuid4(), user_id=uuid4(), payment_id=uuid4(),
                                        amount=Decimal("3"), currency="KWD", expires_at=datetime.now(UTC)),
    ]
    written = [wrap(m, aggregate_id="x").payload["amount"] for m in messages]
    assert written == ["50.00", "50.00", "50.00", "5000", "3.000"]
    created = events.EventCreated(title="t", start_time=datetime.now(UTC), duration_minutes=1, max_participants=1,
                                  is_paid=True, price="25", currency="EUR", event_id=uuid4(), created_by=uuid4(),
                                  created_at=datetime.now(UTC), seats_available=1)
    assert json.loads(created.model_dump_json())["price"] == "25.00"


def test_an_older_message_with_a_short_amount_is_read_canonically():
    """A consumer of a message published as "50" sees 50.00 (same value: nothing for a consumer to break on)."""
    old = payments.PaymentSucceeded.model_validate({"payment_id": str(uuid4()), "user_id": str(uuid4()),
                                                    "amount": "50", "currency": "EUR"})
    assert str(old.amount) == "50.00"


def test_the_vocabulary_matches_the_contracts_literals():
    assert set(BookingStatus) == set(bookings.BookingStatus.__args__)
    assert set(PaymentStatus) == set(payments.PaymentStatus.__args__)
    assert set(SeatsRejectedReason) == set(events.SeatsRejectedReason.__args__)
    assert set(PaymentMethod) == set(events.PAYMENT_METHODS)
    assert all(currency.isalpha() and len(currency) == 3 for currency in MINOR_UNITS)


@pytest.mark.parametrize(("published", "today"), [
    ("booking_user", "user"), ("booking_admin", "admin"), ("booking_event_cancelled", "event_cancelled"),
    ("booking_cancelled", "booking_not_live"), ("booking_confirmed", "booking_not_live"),
    ("booking_awaiting_payment", "booking_not_live"), ("user", "user"),
    ("hold_expired_seats_gone", "hold_expired_seats_gone"), ("duplicate charge", "duplicate charge"),
])
def test_refund_reasons_published_before_the_vocabulary_are_read_as_today_words(published, today):
    assert RefundReason.read(published) == today
