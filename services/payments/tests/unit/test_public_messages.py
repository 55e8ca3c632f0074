"""Internal payment events become the public payments.v1 messages bookings listens to; others stay inside."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from contracts import parse_payload
from contracts.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded

from payments_service import public
from payments_service.domain import Payment, PaymentOrder, Refund, Wallet

pytestmark = pytest.mark.unit


def test_a_payments_life_is_published_keyed_by_payment_id_in_order():
    booking, user = uuid4(), uuid4()
    order = PaymentOrder(payment_id=uuid4(), user_id=user, amount=Decimal("30"), currency="EUR", method="sandbox",
                         event_id=uuid4(), booking_id=booking)
    payment = Payment.request(order, provider="sandbox", is_offline=False, reference="sbx", confirmation_url="/pay")
    payment.succeed()
    refund = Refund.issue(payment, reason="booking_cancelled")
    envelopes = [public.to_envelope(e) for e in payment.collect_events()]
    assert [e.type for e in envelopes] == ["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"]
    assert {e.aggregate_id for e in envelopes} == {str(payment.id)}
    assert [e.aggregate_version for e in envelopes] == [1, 2, 3]
    requested, succeeded, refunded = (parse_payload(e) for e in envelopes)
    assert isinstance(requested, PaymentRequested) and requested.confirmation_url == "/pay"
    assert (requested.amount, requested.provider, requested.booking_id) == (Decimal("30.00"), "sandbox", booking)
    assert isinstance(succeeded, PaymentSucceeded) and (succeeded.user_id, succeeded.booking_id) == (user, booking)
    assert isinstance(refunded, PaymentRefunded) and refunded.reason == "booking_cancelled"
    assert all(public.to_public(e) is None for e in refund.collect_events())


def test_failures_carry_the_reason_and_wallets_are_not_published():
    order = PaymentOrder(payment_id=uuid4(), user_id=uuid4(), amount=Decimal("30"), currency="EUR",
                         method="balance", event_id=uuid4(), booking_id=uuid4())
    payment = Payment.refuse(order, provider="balance", reason="insufficient_balance")
    failed = parse_payload(public.to_envelope(payment.collect_events()[-1]))
    assert isinstance(failed, PaymentFailed) and failed.reason == "insufficient_balance"
    wallet = Wallet.open(uuid4())
    wallet.credit(Decimal("1"), "EUR", payment_id=uuid4())
    assert all(public.to_public(e) is None for e in wallet.collect_events())
