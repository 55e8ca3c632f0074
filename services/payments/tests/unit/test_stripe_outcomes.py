"""Stripe outcomes our side must get right, with the official SDK over a scripted HTTP transport (no network):
a declined intent is cancelled at Stripe before we call it failed, the client gets the client_secret, and
Stripe's errors are told apart: an outage is retried (transient), a refused request is not."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import stripe

from spine.errors import Failure, classify

from payments_service.providers import ChargeRequest, ProviderError, ProviderRefused
from payments_service.providers.stripe_provider import StripeProvider

pytestmark = pytest.mark.unit


class Script(stripe.HTTPClient):
    """Answers each (method, path) with the next scripted (status, body); records the calls."""

    name = "script"

    def __init__(self, answers: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]):
        super().__init__()
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = url.split("api.stripe.com", 1)[1]
        self.calls.append((method, path))
        status, body = self.answers[(method, path)].pop(0)
        return json.dumps(body), status, {"stripe-should-retry": "false"}

    def close(self):
        pass


def provider(answers) -> tuple[StripeProvider, Script]:
    script = Script(answers)
    return StripeProvider("sk_test_123", "whsec_test", http_client=script), script


PID = uuid4()
DECLINED = {"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined"}, "metadata": {"payment_id": str(PID)}}


def error(code: str, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": "invalid_request_error", "code": code, "message": code}}


def test_a_declined_intent_is_cancelled_at_stripe_before_it_counts_as_failed():
    stripe_, script = provider({
        ("get", "/v1/payment_intents/pi_1"): [(200, DECLINED)],
        ("post", "/v1/payment_intents/pi_1/cancel"): [(200, {**DECLINED, "status": "canceled",
                                                             "cancellation_reason": "abandoned"})],
    })
    state = stripe_.fetch_status("pi_1")
    assert (state.status, state.failure_reason, state.payment_id) == ("failed", "card_declined", PID)
    assert script.calls == [("get", "/v1/payment_intents/pi_1"), ("post", "/v1/payment_intents/pi_1/cancel")]


def test_a_declined_intent_that_succeeded_meanwhile_is_reported_as_succeeded():
    stripe_, _ = provider({
        ("get", "/v1/payment_intents/pi_1"): [(200, DECLINED), (200, {**DECLINED, "status": "succeeded"})],
        ("post", "/v1/payment_intents/pi_1/cancel"): [error("payment_intent_unexpected_state")],
    })
    assert stripe_.fetch_status("pi_1").status == "succeeded"


def test_a_new_intent_hands_its_client_secret_to_the_payer():
    stripe_, _ = provider({("post", "/v1/payment_intents"): [(200, {
        "id": "pi_2", "object": "payment_intent", "status": "requires_payment_method",
        "client_secret": "pi_2_secret_xyz"})]})
    created = stripe_.create_payment(ChargeRequest(uuid4(), uuid4(), Decimal("10.00"), "EUR"))
    assert (created.reference, created.client_secret) == ("pi_2", "pi_2_secret_xyz")


@pytest.mark.parametrize(("answer", "raised", "failure"), [
    ((503, {"error": {"type": "api_error", "message": "down"}}), ProviderError, Failure.TRANSIENT),
    ((429, {"error": {"type": "rate_limit_error", "message": "slow down"}}), ProviderError, Failure.TRANSIENT),
    (error("amount_too_large"), ProviderRefused, Failure.POISON),
])
def test_stripe_errors_are_told_apart(answer, raised, failure):
    stripe_, _ = provider({("post", "/v1/refunds"): [answer]})
    with pytest.raises(raised) as caught:
        stripe_.refund("pi_1", Decimal("5.00"), "EUR", idempotency_key="k")
    assert classify(caught.value) is failure


def test_a_refund_of_a_charge_already_refunded_at_stripe_is_done():
    stripe_, _ = provider({("post", "/v1/refunds"): [error("charge_already_refunded")]})
    assert stripe_.refund("pi_1", Decimal("5.00"), "EUR", idempotency_key="k") is None
