"""One method per caller instead of a `strict` flag: the API's calls refuse loudly, the booking saga's record."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from payments_service.domain import PaymentNotFound, PaymentOrder, UnknownPaymentMethod

pytestmark = pytest.mark.api


def order(method: str) -> PaymentOrder:
    return PaymentOrder(payment_id=uuid4(), user_id=uuid4(), amount=Decimal("20.00"), currency="EUR", method=method,
                        event_id=uuid4(), booking_id=uuid4())


def test_a_broken_order_raises_for_the_api_and_is_a_failed_payment_for_a_booking(client):
    payments = client.app.state.container.payments
    broken = order("carrier_pigeon")
    with pytest.raises(UnknownPaymentMethod):
        payments.request_payment(broken)
    assert payments.find(broken.payment_id) is None  # the API's refusal records nothing

    failed = payments.request_payment_for_booking(broken)
    assert (failed.status, failed.failure_reason) == ("failed", "UnknownPaymentMethod")
    assert payments.request_payment_for_booking(broken).status == "failed"  # the redelivered command: same payment


def test_a_refund_of_an_unknown_payment_is_refused_for_an_admin_and_ignored_for_a_booking(client):
    payments = client.app.state.container.payments
    with pytest.raises(PaymentNotFound):
        payments.refund_payment(uuid4(), reason="admin", requested_by=uuid4())
    assert payments.refund_for_booking(uuid4(), reason="user") is None


def test_a_bookings_refund_of_a_still_pending_payment_waits_for_the_money(client):
    payments = client.app.state.container.payments
    pending = payments.request_payment_for_booking(order("sandbox"))
    assert pending.status == "pending"
    assert payments.refund_for_booking(pending.id, reason="user") is not None
    again = payments.get_payment(pending.id)
    assert (again.status, again.refund_requested) == ("pending", "user")  # refunded the moment it succeeds
