"""The one interface every payment provider implements, and what passes through it.

The application never talks to an SDK directly: it asks a provider to create a charge, to tell the
real state of a charge, to give money back, and to vouch for a webhook (signature or source check).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

from spine.errors import Poison, Transient

ChargeStatus = Literal["pending", "succeeded", "failed"]


@dataclass(frozen=True)
class ChargeRequest:
    """What the service asks a provider to charge."""

    payment_id: UUID
    user_id: UUID
    amount: Decimal
    currency: str
    description: str | None = None


@dataclass(frozen=True)
class CreatedCharge:
    """The provider's id for the charge, and where the payer completes it (None for offline/wallet).

    `client_secret` is what a client-side SDK needs to complete the charge (Stripe.js); only the payer sees it.
    """

    reference: str | None = None
    confirmation_url: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True)
class ChargeState:
    """The real state of a charge, as the provider reports it when asked."""

    reference: str
    status: ChargeStatus
    payment_id: UUID | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class WebhookNotice:
    """A webhook the provider vouched for: its own event id (for deduplication) and which charge it is about."""

    event_id: str
    reference: str | None


class ProviderError(Transient):
    """Raised when a provider cannot be reached, times out or fails on its side (HTTP 502 for API callers).

    Transient: a saga command that meets it is retried with backoff until the provider is back."""


class ProviderRefused(Poison):
    """Raised when a provider refuses the request itself (invalid, not allowed): asking again cannot help.

    A saga's RequestPayment then records the payment as failed; a RefundPayment goes to the DLQ with an
    alarm, for an operator (HTTP 502 for API callers)."""


class ProviderNotEnabled(Exception):
    """Raised when a payment method or webhook names a provider this deployment has not configured."""


class WebhookRejected(Exception):
    """Base of webhooks refused before anything changes; malformed ones are HTTP 400."""


class InvalidWebhookSignature(WebhookRejected):
    """Raised when a webhook's signature is missing, wrong or too old (HTTP 401)."""


class UntrustedWebhookSource(WebhookRejected):
    """Raised when a provider without signatures (YooKassa) sends from outside its published networks (HTTP 403)."""


class WebhooksNotSupported(WebhookRejected):
    """Raised for providers that never send webhooks (cash, balance)."""


class PaymentProvider(ABC):
    """A way to take money."""

    name: str
    is_offline: bool = False  # settled by an operator (cash)
    pays_from_wallet: bool = False  # settled at once from the payer's wallet (balance)

    @abstractmethod
    def create_payment(self, charge: ChargeRequest) -> CreatedCharge:
        """Start a charge; repeated calls for one payment id must not charge twice (idempotency keys)."""

    @abstractmethod
    def fetch_status(self, reference: str) -> ChargeState:
        """Ask the provider for the charge's real state (webhooks are only a trigger to ask)."""

    @abstractmethod
    def refund(self, reference: str | None, amount: Decimal, currency: str, *, idempotency_key: str) -> str | None:
        """Give the money of a charge back; returns the provider's refund id, if it has one."""

    def cancel(self, reference: str) -> ChargeState | None:
        """Make a failed charge final at the provider, so it cannot succeed later; returns its state after.

        Providers whose failed charges are final already need nothing (None)."""
        return None

    @abstractmethod
    def verify_webhook(self, body: bytes, headers: Mapping[str, str], client_ip: str | None) -> WebhookNotice:
        """Check that a webhook really comes from the provider; raises a WebhookRejected subclass if not."""
