"""Handler of `payments.commands.v1`: the booking saga's RequestPayment, RefundPayment and VoidPayment.

Each command changes aggregates through the Payments application and saves them with the message's
Kafka position in one transaction (`tracking`), so a redelivered command changes nothing. The payment
id comes from bookings, so even a re-published command (new offset) finds the payment it made.
"""

from __future__ import annotations

import logging

from contracts import Envelope, parse_payload, topics
from contracts.payments import RefundPayment, RequestPayment, VoidPayment
from contracts.vocabulary import RefundReason
from eventsourcing.persistence import Tracking

from payments_service.application import Payments
from payments_service.domain import PaymentOrder

log = logging.getLogger("payments.commands")


def order_of(command: RequestPayment) -> PaymentOrder:
    """The domain's view of a RequestPayment."""
    return PaymentOrder(payment_id=command.payment_id, user_id=command.user_id, amount=command.amount,
                        currency=command.currency, method=command.payment_method, event_id=command.event_id,
                        booking_id=command.booking_id, expires_at=command.expires_at,
                        organizer_id=command.organizer_id)


class PaymentCommands:
    """RequestPayment → a payment (balance: settled at once); RefundPayment → a refund; VoidPayment → voided."""

    name = "payment-commands"

    def __init__(self, app: Payments, topic: str = topics.PAYMENTS_COMMANDS):
        self.app = app
        # Tests feed it from a throwaway topic; production reads payments.commands.v1.
        self.topics = (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """Apply one command; unknown types are skipped (their position is still recorded)."""
        command = parse_payload(envelope)
        if isinstance(command, RequestPayment):
            self.app.request_payment(order_of(command), tracking=tracking, strict=False)
        elif isinstance(command, RefundPayment):
            # Commands sent before the shared vocabulary say e.g. `booking_user`: recorded as today's `user`.
            self.app.refund_payment(command.payment_id, reason=str(RefundReason.read(command.reason)),
                                    tracking=tracking, strict=False,
                                    amount=command.amount)
        elif isinstance(command, VoidPayment):
            self.app.void_payment(command.payment_id, reason=str(RefundReason.read(command.reason)), tracking=tracking)
        else:
            log.debug("skipping %s v%s", envelope.type, envelope.version)
