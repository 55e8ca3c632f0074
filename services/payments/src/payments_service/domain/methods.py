"""The payment methods this deployment takes, as a fact other services can rely on.

Which providers are enabled is configuration (settings.py), read at start-up. The events service must not
let an event advertise a method that is off (every booking for it would fail its payment), and services
talk through Kafka only: so the payments worker records the enabled set here at start-up, only when it
differs from the last one, and the relay publishes it as `PaymentMethodsAvailable` (public.py). One
aggregate with a fixed id: its latest event is the current fact.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

METHODS_ID = uuid5(NAMESPACE_URL, "/payments/methods")


class PaymentMethods(Aggregate):
    """The enabled payment methods, and the provider serving `card` (None when `card` is off)."""

    @staticmethod
    def create_id() -> UUID:
        return METHODS_ID

    class Announced(Aggregate.Created):
        methods: list[str]
        card_provider: str | None

    @event(Announced)
    def __init__(self, methods: list[str], card_provider: str | None) -> None:
        self.methods = list(methods)
        self.card_provider = card_provider

    def announce(self, methods: list[str], card_provider: str | None) -> bool:
        """Record a new set when it differs from the last; returns whether it did."""
        if list(methods) == self.methods and card_provider == self.card_provider:
            return False
        self._changed(methods=list(methods), card_provider=card_provider)
        return True

    class Changed(Aggregate.Event):
        methods: list[str]
        card_provider: str | None

    @event(Changed)
    def _changed(self, methods: list[str], card_provider: str | None) -> None:
        self.methods = list(methods)
        self.card_provider = card_provider
