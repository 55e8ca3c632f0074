"""A card payment through Stripe is completed on the payer's device with Stripe.js, which needs the intent's
client_secret: the payer gets it from GET /api/v1/payments/{id} (and on creation) while the payment is open;
nobody else does. Stripe is its official SDK over a stub transport (no network here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from uuid import uuid4

import pytest
import stripe
from fastapi.testclient import TestClient

from authkit.testing import caller

from payments_service.domain import PaymentOrder
from payments_service.main import create_app
from payments_service.providers import Providers
from payments_service.providers.offline import BalanceProvider, CashProvider
from payments_service.providers.stripe_provider import StripeProvider

pytestmark = pytest.mark.api


class StripeStub(stripe.HTTPClient):
    name = "stub"

    def __init__(self):
        super().__init__()
        self.status = "requires_payment_method"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        return json.dumps({"id": "pi_42", "object": "payment_intent", "status": self.status,
                           "client_secret": "pi_42_secret_for_stripe_js"}), 200, {}

    def close(self):
        pass


@pytest.fixture(scope="module")
def stub() -> StripeStub:
    return StripeStub()


@pytest.fixture(scope="module")
def stripe_client(settings, issuer, stub) -> Iterator[TestClient]:
    providers = Providers([StripeProvider("sk_test_1", "whsec_1", http_client=stub), CashProvider(),
                           BalanceProvider()], card_provider="stripe")
    with TestClient(create_app(settings, verifier=issuer.verifier(), providers=providers)) as client:
        yield client


def test_the_payer_gets_the_client_secret_of_a_card_payment_and_nobody_else_does(stripe_client, issuer, stub):
    payer, admin = caller(issuer, "participant"), caller(issuer, "admin")
    # A booking's card payment, as the saga's RequestPayment creates it.
    payments = stripe_client.app.state.container.payments
    payment = payments.request_payment(PaymentOrder(payment_id=uuid4(), user_id=payer.user_id,
                                                    amount=Decimal("15.00"), currency="EUR", method="card",
                                                    booking_id=uuid4(), event_id=uuid4()))
    url = f"/api/v1/payments/{payment.id}"
    mine = stripe_client.get(url, headers=payer.headers)
    assert mine.status_code == 200
    assert (mine.json()["provider"], mine.json()["client_secret"]) == ("stripe", "pi_42_secret_for_stripe_js")
    assert stripe_client.get(url, headers=admin.headers).json()["client_secret"] is None
    # A top-up by card answers with it at once.
    created = stripe_client.post("/api/v1/payments/", json={"amount": "10.00", "currency": "EUR"},
                                 headers=payer.headers)
    assert created.status_code == 201 and created.json()["client_secret"] == "pi_42_secret_for_stripe_js"
    # Once paid, the secret is of no more use and is not shown.
    stub.status = "succeeded"
    payments.reconcile(payment.id)
    assert stripe_client.get(url, headers=payer.headers).json()["client_secret"] is None
