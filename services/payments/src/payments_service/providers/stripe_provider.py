"""Stripe, through its official SDK: PaymentIntents for charges, Refunds, and signed webhooks.

* A charge is a PaymentIntent in the payment's currency and minor units, created with the payment id
  as idempotency key (a retried command finds the same intent) and the payment id in its metadata.
  The payer completes it on the client with Stripe.js, so there is no redirect `confirmation_url`.
* Webhooks are checked with `stripe.Webhook.construct_event` (HMAC of the `Stripe-Signature` header
  with the endpoint secret, 5-minute tolerance); the event id deduplicates; the intent is re-fetched.
* The intent's `client_secret` is handed to the payer (GET /payments/{id}) for Stripe.js.
* A declined intent (`requires_payment_method` with a payment error) is cancelled at Stripe before we
  call it failed: Stripe would otherwise let the payer retry and succeed on a payment we already failed
  (and should that still happen, the application refunds it automatically).
* Errors: Stripe refusing the request itself (invalid request, card error, permissions) is
  `ProviderRefused`; connection errors, rate limits, Stripe's 5xx and auth errors (fixed by an operator)
  are `ProviderError`, which saga commands retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import stripe

from payments_service.domain.money import to_minor_units
from payments_service.providers.base import (
    ChargeRequest,
    ChargeState,
    CreatedCharge,
    InvalidWebhookSignature,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    WebhookNotice,
    WebhookRejected,
)

SIGNATURE_HEADER = "stripe-signature"
# Intent states from which Stripe can still succeed or fail; `canceled` is final and means no money.
_PENDING = {"requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture"}
# Stripe refuses the request itself: the same request will be refused again.
_REFUSED = (stripe.InvalidRequestError, stripe.CardError, stripe.PermissionError, stripe.IdempotencyError)


def _failure(exc: stripe.StripeError, what: str) -> Exception:
    text = f"stripe {what}: {exc.user_message or exc}"
    return ProviderRefused(text) if isinstance(exc, _REFUSED) else ProviderError(text)


def _is_declined(intent: dict[str, Any]) -> bool:
    return intent.get("status") == "requires_payment_method" and bool(intent.get("last_payment_error"))


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
            raise _failure(exc, "payment") from exc
        return CreatedCharge(reference=intent.id, client_secret=_plain(intent).get("client_secret"))

    def fetch_status(self, reference: str) -> ChargeState:
        """The intent's state; a declined one is cancelled first, so "failed" is final at Stripe too."""
        intent = self._retrieve(reference)
        if _is_declined(_plain(intent)):
            return self.cancel(reference) or self.state_of(intent)
        return self.state_of(intent)

    def cancel(self, reference: str) -> ChargeState | None:
        """Cancel the intent; if it moved on meanwhile (succeeded, already cancelled), its state as it is."""
        try:
            intent = self.client.v1.payment_intents.cancel(
                reference, options={"idempotency_key": f"cancel-{reference}"})
        except stripe.InvalidRequestError as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise _failure(exc, "cancel") from exc
            intent = self._retrieve(reference)
        except stripe.StripeError as exc:
            raise _failure(exc, "cancel") from exc
        return self.state_of(intent)

    def _retrieve(self, reference: str) -> Any:
        try:
            return self.client.v1.payment_intents.retrieve(reference)
        except stripe.StripeError as exc:
            raise _failure(exc, "lookup") from exc

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
            reason = (error or {}).get("code") or intent.get("cancellation_reason") or "canceled"
            return ChargeState(intent["id"], "failed", payment_id, reason)
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
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                return None  # the money is back already (e.g. refunded in Stripe's dashboard)
            raise _failure(exc, "refund") from exc
        except stripe.StripeError as exc:
            raise _failure(exc, "refund") from exc
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
