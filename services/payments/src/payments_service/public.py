"""Internal payment events → public `payments.v1` messages (contracts.payments), keyed by payment id.

The only module that knows both languages. The enabled payment methods are published as PaymentMethodsAvailable
(keyed by their fixed aggregate id). Wallet, Refund and ProviderEvent events stay internal: what
other services need (PaymentRefunded) is recorded on the Payment itself.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts import Envelope
from contracts.payments import (
    PaymentFailed,
    PaymentMethodsAvailable,
    PaymentRefunded,
    PaymentRequested,
    PaymentSucceeded,
    PaymentVoided,
)
from spine.relay import envelope_of

from payments_service.domain import Payment, PaymentMethods


@singledispatch
def to_public(domain_event: Any) -> BaseModel | None:
    """The public payload for an internal event, or None when it is not published."""
    return None


@to_public.register
def _requested(e: Payment.Requested) -> PaymentRequested:
    return PaymentRequested(payment_id=e.originator_id, booking_id=e.booking_id, event_id=e.event_id,
                            user_id=e.user_id, amount=e.amount, currency=e.currency, payment_method=e.method,
                            provider=e.provider, confirmation_url=e.confirmation_url, description=e.description)


@to_public.register
def _succeeded(e: Payment.Succeeded) -> PaymentSucceeded:
    return PaymentSucceeded(payment_id=e.originator_id, booking_id=e.booking_id, user_id=e.user_id,
                            amount=e.amount, currency=e.currency)


@to_public.register
def _failed(e: Payment.Failed) -> PaymentFailed:
    return PaymentFailed(payment_id=e.originator_id, booking_id=e.booking_id, user_id=e.user_id, reason=e.reason)


@to_public.register
def _refunded(e: Payment.Refunded) -> PaymentRefunded:
    return PaymentRefunded(payment_id=e.originator_id, booking_id=e.booking_id, user_id=e.user_id,
                           amount=e.amount, currency=e.currency, reason=e.reason)


@to_public.register(PaymentMethods.Announced)
@to_public.register(PaymentMethods.Changed)
def _methods(e: Any) -> PaymentMethodsAvailable:
    return PaymentMethodsAvailable(methods=e.methods, card_provider=e.card_provider, announced_at=e.timestamp)


@to_public.register
def _voided(e: Payment.Voided) -> PaymentVoided:
    return PaymentVoided(payment_id=e.originator_id, booking_id=e.booking_id, user_id=e.user_id, reason=e.reason)


def to_envelope(domain_event: Any, app_name: str = "Payments") -> Envelope | None:
    """The envelope the relay publishes for an internal event (same deterministic event id); for tests."""
    return envelope_of(domain_event, to_public, app_name, None)
