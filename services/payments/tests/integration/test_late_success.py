"""Never keep money for nothing: a Stripe charge that succeeds after we failed its payment (the payer retried
a declined card) is refunded automatically, once, when Stripe tells us. Real PostgreSQL; Stripe is its
official SDK over a scripted HTTP transport, and its webhook is signed as Stripe signs it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from uuid import uuid4

import pytest
import stripe

from spine.eventstore import postgres_env

from payments_service.application import Payments
from payments_service.domain import PaymentOrder
from payments_service.provider_webhooks import ProviderWebhooks
from payments_service.providers import ChargeState, Providers
from payments_service.providers.stripe_provider import StripeProvider

pytestmark = pytest.mark.integration

SECRET = "whsec_test"


class StripeStub(stripe.HTTPClient):
    """Stripe's API as the SDK sees it: one intent, whose status the test sets; refunds recorded."""

    name = "stub"

    def __init__(self, intent: dict):
        super().__init__()
        self.intent = intent
        self.refunds: list[str] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if url.endswith("/v1/refunds"):
            self.refunds.append(headers.get("Idempotency-Key", ""))
            return json.dumps({"id": "re_9", "object": "refund", "status": "succeeded"}), 200, {}
        return json.dumps(self.intent), 200, {}

    def close(self):
        pass


def signed(event_type: str, intent_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": f"evt_{uuid4().hex}", "object": "event", "type": event_type,
                       "data": {"object": {"id": intent_id, "object": "payment_intent"}}}).encode()
    ts = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={mac}"}


def test_a_charge_that_succeeds_after_the_payment_failed_is_refunded_once(settings):
    payment_id = uuid4()
    http = StripeStub({"id": "pi_9", "object": "payment_intent", "status": "requires_payment_method",
                       "client_secret": "pi_9_secret", "metadata": {"payment_id": str(payment_id)}})
    payments = Payments(env=postgres_env(settings.database, settings),
                        providers=Providers([StripeProvider("sk_test_1", SECRET, http_client=http)],
                                            card_provider="stripe"))
    notifications = ProviderWebhooks(payments)
    payment = payments.request_payment(PaymentOrder(payment_id=payment_id, user_id=uuid4(), amount=Decimal("20.00"),
                                                    currency="EUR", method="card", booking_id=uuid4(),
                                                    event_id=uuid4()))
    assert (payment.status, payment.client_secret) == ("pending", "pi_9_secret")
    # We failed it (the booking heard "payment failed" and let the seats go)...
    payments.commit(lambda: (None, payments.settle(payments.get_payment(payment_id),
                                                   ChargeState("pi_9", "failed", payment_id, "card_declined"))))
    # ...then the payer's retry went through at Stripe, and Stripe tells us (twice: webhooks repeat).
    http.intent = {**http.intent, "status": "succeeded"}
    for _ in range(2):
        body, headers = signed("payment_intent.succeeded", "pi_9")
        notifications.receive("stripe", body, headers, client_ip=None)
    payment = payments.get_payment(payment_id)
    assert payment.status == "failed" and payment.stray_charge_refunded
    (key,) = http.refunds  # one refund, with an idempotency key: a repeat at Stripe would not pay twice
    assert key.startswith("refund-")


def test_a_charge_that_succeeds_after_the_payment_was_voided_is_refunded_once(settings):
    """The booking was cancelled while its payment was pending (VoidPayment), and the payer paid anyway."""
    payment_id = uuid4()
    http = StripeStub({"id": "pi_8", "object": "payment_intent", "status": "requires_payment_method",
                       "client_secret": "pi_8_secret", "metadata": {"payment_id": str(payment_id)}})
    payments = Payments(env=postgres_env(settings.database, settings),
                        providers=Providers([StripeProvider("sk_test_1", SECRET, http_client=http)],
                                            card_provider="stripe"))
    notifications = ProviderWebhooks(payments)
    payments.request_payment(PaymentOrder(payment_id=payment_id, user_id=uuid4(), amount=Decimal("20.00"),
                                          currency="EUR", method="card", booking_id=uuid4(), event_id=uuid4()))
    assert payments.void_payment(payment_id, reason="booking_user").status == "voided"
    http.intent = {**http.intent, "status": "succeeded"}
    for _ in range(2):
        body, headers = signed("payment_intent.succeeded", "pi_8")
        notifications.receive("stripe", body, headers, client_ip=None)
    payment = payments.get_payment(payment_id)
    assert payment.status == "voided" and payment.stray_charge_refunded
    assert len(http.refunds) == 1
