"""ProviderEvent: a provider notification (webhook) already processed, so a repeat of it changes nothing.

Its id is derived from the provider and the provider's own event id; it is saved in the same
transaction as the change the notification caused, so "processed" and "applied" cannot disagree.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def provider_event_id(provider: str, event_id: str) -> UUID:
    """Deterministic id of one provider notification."""
    return uuid5(NAMESPACE_URL, f"/provider-events/{provider}/{event_id}")


class ProviderEvent(Aggregate):
    """One notification from a payment provider, and what the service found when it re-fetched the payment."""

    @staticmethod
    def create_id(provider: str, event_id: str) -> UUID:
        return provider_event_id(provider, event_id)

    @event("Received")
    def __init__(self, provider: str, event_id: str, reference: str | None, payment_id: UUID | None,
                 status_seen: str | None) -> None:
        self.provider = provider
        self.event_id = event_id
        self.reference = reference
        self.payment_id = payment_id
        self.status_seen = status_seen
