"""Handler of `payments.commands.v1`: the booking saga's RequestPayment, RefundPayment and VoidPayment.

`to_domain` is the edge: it turns each command into the domain's order (`PaymentOrder`, `RefundOrder`,
`VoidOrder`), and the handler passes that to the Payments application's booking-side method. Each
changes aggregates and saves them with the message's Kafka position in one transaction (`tracking`), so a
redelivered command changes nothing. The payment id comes from bookings, so even a re-published command
(new offset) finds the payment it made.
"""

from __future__ import annotations

import logging

from eventsourcing.persistence import Tracking

from contracts import Envelope, parse_payload, topics
from contracts.payments import RefundPayment, RequestPayment, VoidPayment
from contracts.vocabulary import RefundReason

from payments_service.application import Payments
from payments_service.domain import PaymentOrder, RefundOrder, VoidOrder

log = logging.getLogger("payments.commands")

Order = PaymentOrder | RefundOrder | VoidOrder


def to_domain(envelope: Envelope) -> Order | None:
    """The domain's order a command asks for; None for types this service does not handle."""
    command = parse_payload(envelope)
    if isinstance(command, RequestPayment):
        return PaymentOrder(payment_id=command.payment_id, user_id=command.user_id, amount=command.amount,
                            currency=command.currency, method=command.payment_method, event_id=command.event_id,
                            booking_id=command.booking_id, expires_at=command.expires_at,
                            organizer_id=command.organizer_id)
    # Commands sent before the shared vocabulary say e.g. `booking_user`: recorded as today's `user`.
    if isinstance(command, RefundPayment):
        return RefundOrder(payment_id=command.payment_id, reason=str(RefundReason.read(command.reason)),
                           amount=command.amount)
    if isinstance(command, VoidPayment):
        return VoidOrder(payment_id=command.payment_id, reason=str(RefundReason.read(command.reason)))
    return None


class PaymentCommands:
    """RequestPayment → a payment (balance: settled at once); RefundPayment → a refund; VoidPayment → voided."""

    name = "payment-commands"

    def __init__(self, app: Payments, topic: str = topics.PAYMENTS_COMMANDS):
        self.app = app
        # Tests feed it from a throwaway topic; production reads payments.commands.v1.
        self.topics = (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """Apply one command; unknown types are skipped (their position is still recorded)."""
        order = to_domain(envelope)
        if isinstance(order, PaymentOrder):
            self.app.request_payment_for_booking(order, tracking=tracking)
        elif isinstance(order, RefundOrder):
            self.app.refund_for_booking(order.payment_id, reason=order.reason, amount=order.amount,
                                        tracking=tracking)
        elif isinstance(order, VoidOrder):
            self.app.void_payment(order.payment_id, reason=order.reason, tracking=tracking)
        else:
            log.debug("skipping %s v%s", envelope.type, envelope.version)
