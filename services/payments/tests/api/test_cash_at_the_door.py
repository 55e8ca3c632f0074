"""Cash at the door: the organizer of an event confirms the cash of bookings of *their* event (nobody else's),
and a payment whose booking was cancelled first (VoidPayment) can no longer be paid by anyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from authkit.testing import caller
from contracts import wrap
from contracts.payments import RequestPayment, VoidPayment

from payments_service.consumers.commands import PaymentCommands
from payments_service.testing import URL, assert_problem, pay_in_sandbox

pytestmark = pytest.mark.api

_offsets = count()


def command(client, payload) -> None:
    """Deliver a saga command as the worker would (each at a new offset)."""
    handler = PaymentCommands(client.app.state.container.payments)
    handler.handle(wrap(payload, aggregate_id=str(payload.payment_id)),
                   Tracking("test:payments.commands.v1:0", next(_offsets)))


def booking_payment(client, payer, *, method="cash", organizer=None) -> str:
    """A payment the booking saga asked for (RequestPayment), as payments.commands.v1 delivers it."""
    payment_id = uuid4()
    command(client, RequestPayment(payment_id=payment_id, booking_id=uuid4(), event_id=uuid4(), user_id=payer.user_id,
                                   amount=Decimal("30.00"), currency="EUR", payment_method=method,
                                   expires_at=datetime.now(UTC) + timedelta(days=2),
                                   organizer_id=organizer.user_id if organizer else None))
    return str(payment_id)


def confirm(client, who, payment_id):
    return client.post(f"{URL}{payment_id}/confirm", headers=who.headers)


def test_the_events_organizer_confirms_its_cash_at_the_door_and_nobody_elses(client, issuer, participant):
    organizer, other = caller(issuer, "organizer"), caller(issuer, "organizer")
    payment_id = booking_payment(client, participant, organizer=organizer)
    body = assert_problem(confirm(client, other, payment_id), 403, "NotEventOrganizer")
    assert body["required_permission"] == "payments:confirm"
    assert_problem(confirm(client, participant, payment_id), 403, "NotEventOrganizer")
    confirmed = confirm(client, organizer, payment_id)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert_problem(confirm(client, organizer, payment_id), 409, "PaymentNotPending")


def test_an_organizer_cannot_confirm_payments_of_no_event_or_of_older_bookings(client, issuer, participant, support):
    organizer = caller(issuer, "organizer")
    older = booking_payment(client, participant)  # requested before payments knew the organizer
    assert_problem(confirm(client, organizer, older), 403, "NotEventOrganizer")
    assert confirm(client, support, older).json()["status"] == "succeeded"  # payments:confirm still confirms any
    top_up = client.post(URL, json={"amount": "10", "currency": "EUR", "payment_method": "cash"},
                         headers=participant.headers).json()
    assert_problem(confirm(client, organizer, top_up["id"]), 403, "NotEventOrganizer")
    assert_problem(confirm(client, organizer, uuid4()), 404, "PaymentNotFound")


def test_the_organizer_who_booked_their_own_event_does_not_confirm_their_own_cash(client, issuer):
    organizer = caller(issuer, "organizer")
    payment_id = booking_payment(client, organizer, organizer=organizer)
    assert_problem(confirm(client, organizer, payment_id), 403, "OwnPaymentConfirmation")


def test_a_voided_payment_cannot_be_paid_or_confirmed(client, issuer, participant, support, feed_view):
    organizer = caller(issuer, "organizer")
    cash = booking_payment(client, participant, organizer=organizer)
    card = booking_payment(client, participant, method="sandbox")
    for payment_id in (cash, card):
        command(client, VoidPayment(payment_id=payment_id, booking_id=uuid4(), reason="booking_user"))
        command(client, VoidPayment(payment_id=payment_id, booking_id=uuid4(), reason="booking_user"))  # again
        read = client.get(f"{URL}{payment_id}", headers=participant.headers).json()
        assert read["status"] == "voided"
    body = assert_problem(confirm(client, organizer, cash), 409, "PaymentVoided")
    assert "cancelled" in body["detail"]
    assert_problem(confirm(client, support, cash), 409, "PaymentVoided")
    assert_problem(pay_in_sandbox(client, participant, card), 409, "PaymentVoided")
    assert client.get(f"{URL}{card}", headers=participant.headers).json()["status"] == "voided"
    feed_view()
    listed = client.get(URL, params={"status": "voided"}, headers=participant.headers).json()
    assert {p["id"] for p in listed} >= {cash, card}


def test_voiding_a_paid_payment_changes_nothing(client, participant):
    payment_id = booking_payment(client, participant, method="sandbox")
    assert pay_in_sandbox(client, participant, payment_id).json()["status"] == "succeeded"
    command(client, VoidPayment(payment_id=payment_id, booking_id=uuid4(), reason="booking_user"))
    assert client.get(f"{URL}{payment_id}", headers=participant.headers).json()["status"] == "succeeded"
