"""Provider webhooks, handled: verify, deduplicate, then ask the provider what really happened.

1. The provider vouches for the webhook (signature, or source address for YooKassa); a bad one is
   refused before anything is read or written.
2. The provider's event id is looked up as a `ProviderEvent`; one already processed changes nothing.
3. The webhook body is never trusted for the outcome: the charge is re-fetched from the provider, and
   that state is applied to the payment, saved together with the `ProviderEvent` in one transaction.

The sandbox's "pay now" endpoint goes through exactly this path with a webhook it signs itself. The HTTP
routes that receive them are `api/webhooks.py`; the api container holds this as `webhooks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate

from payments_service import domain
from payments_service.application import Payments
from payments_service.domain import Payment, ProviderEvent
from payments_service.providers import ChargeState, ProviderNotEnabled, WebhookNotice
from payments_service.providers.sandbox import SandboxProvider


@dataclass(frozen=True)
class WebhookOutcome:
    """What a webhook led to, for the provider's log and for tests."""

    duplicate: bool
    payment_id: UUID | None = None
    status: str | None = None


class NotSandboxPayment(domain.PaymentRuleViolation):
    """Raised when the sandbox is asked to complete a payment another provider handles (409)."""


class ProviderWebhooks:
    """Handles webhooks of every enabled provider."""

    def __init__(self, payments: Payments):
        self.payments = payments

    def receive(self, provider_name: str, body: bytes, headers: Mapping[str, str], client_ip: str | None
                ) -> WebhookOutcome:
        """Process one webhook; raises WebhookRejected (nothing changes) when the provider does not vouch for it."""
        provider = self.payments.providers.get(provider_name)
        notice = provider.verify_webhook(body, headers, client_ip)
        marker_id = domain.provider_event_id(provider.name, notice.event_id)
        if self.payments.find(marker_id) is not None:
            return WebhookOutcome(duplicate=True)
        state = provider.fetch_status(notice.reference) if notice.reference else None
        if state is None or state.payment_id is None:
            return self.payments.commit(lambda: self._apply(provider.name, notice, marker_id, state))
        # The outcome belongs to the payment's story (its booking's correlation id), not to this HTTP call.
        with self.payments.continuing_story(state.payment_id):
            return self.payments.commit(lambda: self._apply(provider.name, notice, marker_id, state))

    def _apply(self, provider: str, notice: WebhookNotice, marker_id: UUID, state: ChargeState | None
               ) -> tuple[WebhookOutcome, Sequence[Aggregate]]:
        if self.payments.find(marker_id) is not None:
            return WebhookOutcome(duplicate=True), []  # a concurrent delivery of the same event won
        payment = self.payments.find(state.payment_id) if state and state.payment_id else None
        # The payment must be the one the provider holds under this reference (metadata alone is not enough).
        if not (isinstance(payment, Payment) and payment.provider == provider and state is not None
                and payment.reference == state.reference):
            payment = None
        marker = ProviderEvent(provider=provider, event_id=notice.event_id, reference=notice.reference,
                               payment_id=payment.id if payment else None, status_seen=state.status if state else None)
        changed = self.payments.settle(payment, state) if payment is not None and state is not None else []
        outcome = WebhookOutcome(duplicate=False, payment_id=payment.id if payment else None,
                                 status=payment.status if payment else None)
        return outcome, [marker, *changed]

    def complete_in_sandbox(self, payment_id: UUID, *, payer_id: UUID, outcome: str) -> Payment:
        """The payer picks the sandbox outcome; the sandbox then notifies us like any provider would."""
        sandbox = self.sandbox()
        payment = self.payments.get_payment(payment_id)
        payment.check_owner(payer_id)
        if payment.provider != sandbox.name or payment.reference is None:
            raise NotSandboxPayment(f"this payment is handled by {payment.provider}, not by the sandbox")
        payment.check_pending()
        sandbox.complete(payment.reference, outcome)
        body, headers = sandbox.signed_webhook(payment.reference, f"payment.{outcome}")
        self.receive(sandbox.name, body, headers, client_ip=None)
        return self.payments.get_payment(payment_id)

    def sandbox(self) -> SandboxProvider:
        """The sandbox provider; ProviderNotEnabled when this deployment turned it off."""
        provider = self.payments.providers.get("sandbox")
        if not isinstance(provider, SandboxProvider):
            raise ProviderNotEnabled("the sandbox provider is not enabled")
        return provider
