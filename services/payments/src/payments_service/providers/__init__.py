"""Payment providers behind one interface, and which one handles each payment method."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.events import PAYMENT_METHODS

from payments_service.providers.base import (
    ChargeRequest,
    ChargeState,
    CreatedCharge,
    InvalidWebhookSignature,
    PaymentProvider,
    ProviderError,
    ProviderNotEnabled,
    ProviderRefused,
    UntrustedWebhookSource,
    WebhookNotice,
    WebhookRejected,
    WebhooksNotSupported,
)


class Providers:
    """The providers this deployment enabled, by name; `card` is served by a configurable one."""

    def __init__(self, providers: Iterable[PaymentProvider], *, card_provider: str = "sandbox"):
        self.by_name = {p.name: p for p in providers}
        self.card_provider = card_provider

    def get(self, name: str) -> PaymentProvider:
        """The provider called `name`; ProviderNotEnabled when it is not configured here."""
        try:
            return self.by_name[name]
        except KeyError:
            raise ProviderNotEnabled(f"payment provider {name!r} is not enabled here; "
                                     f"enabled: {sorted(self.by_name)}") from None

    def enabled_methods(self) -> list[str]:
        """The payment methods this deployment takes (`card` when its provider is enabled), in contract order."""
        return [m for m in PAYMENT_METHODS if (self.card_provider if m == "card" else m) in self.by_name]

    def for_method(self, method: str) -> PaymentProvider:
        """Who takes a payment made with `method`."""
        return self.get(self.card_provider if method == "card" else method)


__all__ = [
    "ChargeRequest", "ChargeState", "CreatedCharge", "InvalidWebhookSignature", "PaymentProvider", "ProviderError",
    "ProviderNotEnabled", "ProviderRefused", "Providers", "UntrustedWebhookSource", "WebhookNotice", "WebhookRejected",
    "WebhooksNotSupported",
]
