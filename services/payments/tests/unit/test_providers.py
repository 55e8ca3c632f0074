"""Providers: webhook signature checks (sandbox HMAC, Stripe's construct_event, YooKassa's source networks)
and the requests built for Stripe and YooKassa — no network: Stripe's SDK gets an HTTP client that
records the request and answers like the API would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import pytest
import stripe

from payments_service.providers import (
    ChargeRequest,
    InvalidWebhookSignature,
    ProviderNotEnabled,
    Providers,
    UntrustedWebhookSource,
    WebhookRejected,
)
from payments_service.providers.offline import BalanceProvider, CashProvider
from payments_service.providers.sandbox import MemoryLedger, SandboxProvider
from payments_service.providers.stripe_provider import StripeProvider
from payments_service.providers.yookassa_provider import YooKassaProvider

pytestmark = pytest.mark.unit

SECRET = "whsec_test_secret"


def charge(**overrides) -> ChargeRequest:
    return ChargeRequest(**{"payment_id": uuid4(), "user_id": uuid4(), "amount": Decimal("25.50"),
                            "currency": "EUR", "description": "Wallet top-up", **overrides})


# --- sandbox -------------------------------------------------------------------------------------

def sandbox(clock=time.time) -> SandboxProvider:
    return SandboxProvider("s3cret", MemoryLedger(), clock=clock)


def test_sandbox_charges_stay_pending_until_the_payer_picks_an_outcome():
    provider = sandbox()
    created = provider.create_payment(c := charge())
    assert created.reference == f"sbx_{c.payment_id.hex}"
    assert created.confirmation_url == f"/api/v1/payments/{c.payment_id}/sandbox"
    assert provider.fetch_status(created.reference).status == "pending"
    provider.complete(created.reference, "failed")
    provider.complete(created.reference, "succeeded")  # a finished charge does not change again
    state = provider.fetch_status(created.reference)
    assert (state.status, state.payment_id, state.failure_reason) == ("failed", c.payment_id, "card_declined")


def test_a_signed_sandbox_webhook_is_accepted_and_names_its_event_and_charge():
    provider = sandbox()
    body, headers = provider.signed_webhook("sbx_1", "payment.succeeded", event_id="evt_1")
    notice = provider.verify_webhook(body, headers, None)
    assert (notice.event_id, notice.reference) == ("evt_1", "sbx_1")


@pytest.mark.parametrize("tamper", ["body", "signature", "missing", "secret", "garbled"])
def test_sandbox_webhooks_with_a_bad_signature_are_refused(tamper):
    provider = sandbox()
    body, headers = provider.signed_webhook("sbx_1", "payment.succeeded")
    if tamper == "body":
        body = body.replace(b"sbx_1", b"sbx_2")
    elif tamper == "signature":
        headers["sandbox-signature"] = headers["sandbox-signature"][:-4] + "0000"
    elif tamper == "missing":
        del headers["sandbox-signature"]
    elif tamper == "secret":
        body, headers = SandboxProvider("other", MemoryLedger()).signed_webhook("sbx_1", "payment.succeeded")
    else:
        headers["sandbox-signature"] = "nonsense"
    with pytest.raises(InvalidWebhookSignature):
        provider.verify_webhook(body, headers, None)


def test_an_old_sandbox_webhook_is_refused_as_a_replay():
    then = time.time() - 3600
    body, headers = sandbox(clock=lambda: then).signed_webhook("sbx_1", "payment.succeeded")
    with pytest.raises(InvalidWebhookSignature, match="tolerance"):
        sandbox().verify_webhook(body, headers, None)


def test_a_signed_body_that_is_not_an_event_is_refused():
    provider = sandbox()
    body = b"[1, 2]"
    ts = int(time.time())
    mac = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(body, {"Sandbox-Signature": f"t={ts},v1={mac}"}, None)


def test_a_signed_body_nested_too_deep_to_parse_is_refused_not_a_crash():
    provider = sandbox()
    body = b"[" * 100_000
    ts = int(time.time())
    mac = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(body, {"Sandbox-Signature": f"t={ts},v1={mac}"}, None)
    with pytest.raises(WebhookRejected):
        yookassa().verify_webhook(body, {}, "185.71.76.5")


def test_providers_by_method_and_name():
    providers = Providers([sandbox(), CashProvider(), BalanceProvider()], card_provider="sandbox")
    assert providers.for_method("card").name == "sandbox"
    assert providers.for_method("cash").is_offline and providers.for_method("balance").pays_from_wallet
    with pytest.raises(ProviderNotEnabled):
        providers.for_method("stripe")


# --- stripe --------------------------------------------------------------------------------------

def stripe_header(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """What Stripe sends: t=<time>,v1=<HMAC-SHA256 of "<t>.<payload>"> (computed here, not by the SDK)."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def stripe_event(object_: dict[str, Any], event_type: str = "payment_intent.succeeded") -> bytes:
    return json.dumps({"id": "evt_1Abc", "object": "event", "type": event_type, "api_version": "2024-06-20",
                       "data": {"object": object_}}).encode()


class RecordingHTTPClient(stripe.HTTPClient):
    """Stripe's SDK talks to this instead of the network: it keeps the request and answers with `reply`."""

    name = "recording"

    def __init__(self, reply: dict[str, Any]):
        super().__init__()
        self.reply = reply
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        return json.dumps(self.reply), 200, {}

    def close(self):
        pass


def stripe_provider(reply: dict[str, Any] | None = None) -> tuple[StripeProvider, RecordingHTTPClient]:
    http = RecordingHTTPClient(reply or {})
    return StripeProvider("sk_test_123", SECRET, http_client=http), http


def test_stripe_webhook_with_a_locally_computed_signature_is_accepted():
    provider, _ = stripe_provider()
    payload = stripe_event({"id": "pi_123", "object": "payment_intent", "status": "succeeded"})
    notice = provider.verify_webhook(payload, {"Stripe-Signature": stripe_header(payload)}, None)
    assert (notice.event_id, notice.reference) == ("evt_1Abc", "pi_123")
    refund = stripe_event({"id": "ch_1", "object": "charge", "payment_intent": "pi_456"}, "charge.refunded")
    assert provider.verify_webhook(refund, {"stripe-signature": stripe_header(refund)}, None).reference == "pi_456"


@pytest.mark.parametrize("header", [
    lambda p: stripe_header(p, secret="whsec_wrong"),
    lambda p: stripe_header(p, timestamp=int(time.time()) - 3600),
    lambda p: stripe_header(p + b" "),
    lambda p: "",
])
def test_stripe_webhooks_with_a_bad_signature_are_refused(header):
    provider, _ = stripe_provider()
    payload = stripe_event({"id": "pi_123", "object": "payment_intent"})
    with pytest.raises(InvalidWebhookSignature):
        provider.verify_webhook(payload, {"Stripe-Signature": header(payload)}, None)


def test_stripe_payment_intent_request_uses_minor_units_metadata_and_an_idempotency_key():
    c = charge()
    provider, http = stripe_provider({"id": "pi_new", "object": "payment_intent", "status": "requires_payment_method"})
    created = provider.create_payment(c)
    assert created.reference == "pi_new"
    ((method, url, headers, body),) = http.requests
    assert (method, url) == ("post", "https://api.stripe.com/v1/payment_intents")
    assert headers["Idempotency-Key"] == f"payment-{c.payment_id}"
    assert headers["Authorization"] == "Bearer sk_test_123"
    form = parse_qs(body)
    assert form["amount"] == ["2550"] and form["currency"] == ["eur"]
    assert form["metadata[payment_id]"] == [str(c.payment_id)]


def test_stripe_intent_states_map_to_ours():
    pid = uuid4()
    meta = {"payment_id": str(pid)}
    assert StripeProvider.state_of({"id": "pi", "status": "succeeded", "metadata": meta}).status == "succeeded"
    assert StripeProvider.state_of({"id": "pi", "status": "processing", "metadata": meta}).status == "pending"
    declined = StripeProvider.state_of({"id": "pi", "status": "requires_payment_method", "metadata": meta,
                                        "last_payment_error": {"code": "card_declined"}})
    assert (declined.status, declined.failure_reason, declined.payment_id) == ("failed", "card_declined", pid)


def test_stripe_refund_request_names_the_intent_and_amount():
    provider, http = stripe_provider({"id": "re_1", "object": "refund", "status": "succeeded"})
    assert provider.refund("pi_9", Decimal("10.00"), "USD", idempotency_key="r1") == "re_1"
    ((method, url, headers, body),) = http.requests
    assert url.endswith("/v1/refunds") and headers["Idempotency-Key"] == "refund-r1"
    assert parse_qs(body) == {"payment_intent": ["pi_9"], "amount": ["1000"]}


# --- yookassa ------------------------------------------------------------------------------------

def yookassa() -> YooKassaProvider:
    return YooKassaProvider("123456", "test_secret", "https://example.org/back")


def yookassa_notification(event: str = "payment.succeeded") -> bytes:
    return json.dumps({"type": "notification", "event": event, "object": {
        "id": "2d5bbe27-000f-5000-8000-1a0b2c3d4e5f", "status": "succeeded", "paid": True,
        "amount": {"value": "100.00", "currency": "RUB"}, "created_at": "2026-01-01T10:00:00.000Z",
        "test": True, "refundable": True, "metadata": {"payment_id": str(uuid4())}}}).encode()


def test_yookassa_payment_request_is_a_valid_sdk_request():
    c = charge(currency="RUB", amount=Decimal("100"))
    request = dict(yookassa().payment_request(c))
    assert request["amount"] == {"value": "100.00", "currency": "RUB"}
    assert request["confirmation"] == {"type": "redirect", "return_url": "https://example.org/back"}
    assert request["metadata"]["payment_id"] == str(c.payment_id)
    assert request["capture"] is True


def test_yookassa_notifications_are_accepted_only_from_its_networks():
    provider = yookassa()
    notice = provider.verify_webhook(yookassa_notification(), {}, "185.71.76.5")
    assert notice.reference == "2d5bbe27-000f-5000-8000-1a0b2c3d4e5f"
    assert notice.event_id == "payment.succeeded:2d5bbe27-000f-5000-8000-1a0b2c3d4e5f"
    for outsider in ("8.8.8.8", "127.0.0.1", None, "not-an-ip"):
        with pytest.raises(UntrustedWebhookSource):
            provider.verify_webhook(yookassa_notification(), {}, outsider)
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(b'{"hello": "world"}', {}, "185.71.76.5")
