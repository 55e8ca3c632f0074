"""The Refund aggregate: the record that a payment's money went back, with who asked and why.

At most one per payment: its id is derived from the payment id, so a second refund of the same
payment (a redelivered RefundPayment, or an admin clicking twice) collides instead of paying twice.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from payments_service.domain.payment import Payment


def refund_id(payment_id: UUID) -> UUID:
    """Deterministic id of a payment's refund."""
    return uuid5(NAMESPACE_URL, f"/refunds/{payment_id}")


class Refund(Aggregate):
    """Money given back for one payment: all of it, or less when the booking's cancellation fee is kept."""

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        return refund_id(payment_id)

    @classmethod
    def issue(cls, payment: Payment, *, reason: str, requested_by: UUID | None = None,
              provider_reference: str | None = None, amount: Decimal | None = None) -> Refund:
        """Refund a succeeded payment (in full unless `amount` says less); marks the payment refunded too."""
        payment.check_refundable()
        refund = cls(payment_id=payment.id, user_id=payment.user_id, amount=payment.refund_amount(amount),
                     currency=payment.currency,
                     provider=payment.provider, reason=reason, requested_by=requested_by,
                     provider_reference=provider_reference)
        payment.mark_refunded(refund_id=refund.id, reason=reason, amount=amount)
        return refund

    @event("Issued")
    def __init__(self, payment_id: UUID, user_id: UUID, amount: Decimal, currency: str, provider: str, reason: str,
                 requested_by: UUID | None, provider_reference: str | None) -> None:
        self.payment_id = payment_id
        self.user_id = user_id
        self.amount = amount
        self.currency = currency
        self.provider = provider
        self.reason = reason
        self.requested_by = requested_by
        self.provider_reference = provider_reference
