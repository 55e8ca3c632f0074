"""Stripe, through its official SDK: PaymentIntents for charges, Refunds, and signed webhooks.

* A charge is a PaymentIntent in the payment's currency and minor units, created with the payment id
  as idempotency key (a retried command finds the same intent) and the payment id in its metadata.
  The payer completes it on the client with Stripe.js, so there is no redirect `confirmation_url`.
* Webhooks are checked with `stripe.Webhook.construct_event` (HMAC of the `Stripe-Signature` header
  with the endpoint secret, 5-minute tolerance); the event id deduplicates; the intent is re-fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import stripe

from payments_service.domain.money import to_minor_units
from payments_service.providers.base import (
    ChargeRequest, ChargeState, CreatedCharge, InvalidWebhookSignature, PaymentProvider, ProviderError,
    WebhookNotice, WebhookRejected,
)

SIGNATURE_HEADER = "stripe-signature"
# Intent states from which Stripe can still succeed or fail; `canceled` is final and means no money.
_PENDING = {"requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture"}


class StripeProvider(PaymentProvider):
    """Card payments through Stripe."""

    name = "stripe"

    def __init__(self, api_key: str, webhook_secret: str, *, tolerance_seconds: int = 300,
                 http_client: stripe.HTTPClient | None = None):
        self.webhook_secret = webhook_secret
        self.tolerance_seconds = tolerance_seconds
        self.client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=2)

    @staticmethod
    def intent_params(charge: ChargeRequest) -> dict[str, Any]:
        """The PaymentIntent create parameters for a charge."""
        params: dict[str, Any] = {
            "amount": to_minor_units(charge.amount, charge.currency),
            "currency": charge.currency.lower(),
            "metadata": {"payment_id": str(charge.payment_id), "user_id": str(charge.user_id)},
            "automatic_payment_methods": {"enabled": True},
        }
        if charge.description:
            params["description"] = charge.description[:1000]
        return params

    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        try:
            intent = self.client.v1.payment_intents.create(
                params=self.intent_params(charge),  # type: ignore[arg-type]
                options={"idempotency_key": f"payment-{charge.payment_id}"})
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe refused the payment: {exc.user_message or exc}") from exc
        return CreatedCharge(reference=intent.id)

    def fetch_status(self, reference: str) -> ChargeState:
        try:
            intent = self.client.v1.payment_intents.retrieve(reference)
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe lookup failed: {exc}") from exc
        return self.state_of(intent)

    @staticmethod
    def state_of(intent: Any) -> ChargeState:
        """Our view of a PaymentIntent (an SDK object or its dict)."""
        intent = _plain(intent)
        metadata = intent.get("metadata") or {}
        payment_id = UUID(metadata["payment_id"]) if metadata.get("payment_id") else None
        error = intent.get("last_payment_error")
        if intent["status"] == "succeeded":
            return ChargeState(intent["id"], "succeeded", payment_id)
        if intent["status"] == "canceled":
            return ChargeState(intent["id"], "failed", payment_id, intent.get("cancellation_reason") or "canceled")
        if intent["status"] == "requires_payment_method" and error:
            # Stripe lets the payer retry after a decline; the attempt is failed, a new one needs a new payment.
            return ChargeState(intent["id"], "failed", payment_id, error.get("code") or "card_declined")
        return ChargeState(intent["id"], "pending", payment_id)

    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        try:
            params = {"payment_intent": reference, "amount": to_minor_units(amount, currency)}
            refund = self.client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"refund-{idempotency_key}"})
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe refund failed: {exc}") from exc
        return refund.id

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER)
        try:
            event = stripe.Webhook.construct_event(body, header, self.webhook_secret,
                                                   tolerance=self.tolerance_seconds)
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhookSignature(f"stripe signature check failed: {exc.user_message or exc}") from None
        except ValueError:
            raise WebhookRejected("not a Stripe event") from None
        obj = _plain(event.data.object)
        reference = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
        return WebhookNotice(event_id=event.id, reference=reference)


def _plain(obj: Any) -> dict[str, Any]:
    """SDK objects are not dicts since stripe 15; read them as one."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
