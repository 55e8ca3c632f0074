"""Providers that need no outside service: cash at the desk (an operator confirms) and the user's wallet."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from payments_service.providers.base import (
    ChargeRequest,
    ChargeState,
    CreatedCharge,
    PaymentProvider,
    WebhookNotice,
    WebhooksNotSupported,
)


class CashProvider(PaymentProvider):
    """Offline: the payment stays pending until support or an admin confirms the cash was taken."""

    name = "cash"
    is_offline = True

    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        return CreatedCharge()

    def fetch_status(self, reference: str) -> ChargeState:
        # Nobody but the operator knows; the reconciler leaves offline payments alone.
        return ChargeState(reference=reference, status="pending")

    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        return None  # handed back at the desk; the Refund record is the receipt

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        raise WebhooksNotSupported("cash payments have no webhooks")


class BalanceProvider(PaymentProvider):
    """The payer's wallet: debited at once when the payment is created (see domain.settlement)."""

    name = "balance"
    pays_from_wallet = True

    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        return CreatedCharge()

    def fetch_status(self, reference: str) -> ChargeState:
        raise NotImplementedError("balance payments settle when they are created")

    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        return None  # the wallet is credited by domain.settlement.refund

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        raise WebhooksNotSupported("balance payments have no webhooks")
