"""The Payment aggregate: one attempt to take money for a booking or a wallet top-up, and its outcome.

A payment is created `pending`, then either `succeeded` (the provider or an operator says the money is
taken), `failed`, or `voided` (its booking was cancelled first: nobody may pay it any more, and a charge
that arrives anyway is given back); only a succeeded payment can become `refunded`. The provider's reference and the
page where the payer completes it are recorded at creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from payments_service.domain import errors
from payments_service.domain.money import check_amount, normalised

PENDING, SUCCEEDED, FAILED, REFUNDED, VOIDED = "pending", "succeeded", "failed", "refunded", "voided"
STATUSES = (PENDING, SUCCEEDED, FAILED, REFUNDED, VOIDED)

# Mirrors contracts.events.PAYMENT_METHODS (a unit test guards against drift).
METHODS = ("card", "yookassa", "stripe", "cash", "balance", "sandbox")
BALANCE, CASH = "balance", "cash"


@dataclass(frozen=True)
class PaymentOrder:
    """What someone asked to pay: for a booking (bookings sends it) or, without event, a wallet top-up."""

    payment_id: UUID
    user_id: UUID
    amount: Decimal
    currency: str
    method: str
    description: str | None = None
    event_id: UUID | None = None
    booking_id: UUID | None = None
    expires_at: datetime | None = None
    organizer_id: UUID | None = None  # the event's organizer, who may confirm its cash at the door

    @property
    def is_top_up(self) -> bool:
        """A payment for no event puts money into the payer's wallet."""
        return self.event_id is None and self.booking_id is None


@dataclass(frozen=True)
class RefundOrder:
    """A booking's request to give a payment's money back (all of it, or `amount` when a fee is kept)."""

    payment_id: UUID
    reason: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class VoidOrder:
    """A booking's request that a payment still awaited can no longer be paid."""

    payment_id: UUID
    reason: str


def check_order(order: PaymentOrder) -> None:
    """Every rule a new payment must satisfy before any provider is asked."""
    check_amount(order.amount, order.currency)
    if order.method not in METHODS:
        raise errors.UnknownPaymentMethod(f"unknown payment method {order.method!r}; known: {list(METHODS)}")
    if order.is_top_up and order.method == BALANCE:
        raise errors.TopUpFromBalance("a wallet cannot be topped up from itself; choose another payment method")


def check_cash_top_up(order: PaymentOrder, ceilings: dict[str, Decimal]) -> None:
    """A cash top-up is at most the ceiling for its currency (`"*"`: any other); no ceiling, no limit."""
    if not (order.is_top_up and order.method == CASH):
        return
    ceiling = ceilings.get(order.currency, ceilings.get("*"))
    if ceiling is not None and order.amount > ceiling:
        raise errors.CashTopUpTooLarge(f"a cash top-up is at most {ceiling} {order.currency}; "
                                       f"got {order.amount} {order.currency}")


class Payment(Aggregate):
    """One payment attempt."""

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        # The id is chosen by the caller (bookings derives it from the booking), so redelivery finds it.
        return payment_id

    @classmethod
    def request(cls, order: PaymentOrder, *, provider: str, is_offline: bool, reference: str | None = None,
                confirmation_url: str | None = None) -> Payment:
        """A new pending payment, after checking the order."""
        check_order(order)
        return cls._from_order(order, provider, is_offline, reference, confirmation_url)

    @classmethod
    def refuse(cls, order: PaymentOrder, *, provider: str, reason: str) -> Payment:
        """A payment recorded as failed at once: the saga asked for one that breaks a rule, and must hear why."""
        payment = cls._from_order(order, provider, False, None, None)
        payment._failed(user_id=payment.user_id, booking_id=payment.booking_id, reason=reason)
        return payment

    @classmethod
    def _from_order(cls, order: PaymentOrder, provider: str, is_offline: bool, reference: str | None,
                    confirmation_url: str | None) -> Payment:
        return cls(payment_id=order.payment_id, user_id=order.user_id,
                   amount=normalised(order.amount, order.currency), currency=order.currency,
                   method=order.method, provider=provider, is_offline=is_offline, description=order.description,
                   event_id=order.event_id, booking_id=order.booking_id, expires_at=order.expires_at,
                   reference=reference, confirmation_url=confirmation_url, organizer_id=order.organizer_id)

    class Requested(Aggregate.Created):
        payment_id: UUID
        user_id: UUID
        amount: Decimal
        currency: str
        method: str
        provider: str
        is_offline: bool
        description: str | None
        event_id: UUID | None
        booking_id: UUID | None
        expires_at: datetime | None
        reference: str | None
        confirmation_url: str | None
        organizer_id: UUID | None = None

    @event(Requested)
    def __init__(self, payment_id: UUID, user_id: UUID, amount: Decimal, currency: str, method: str, provider: str,
                 is_offline: bool, description: str | None, event_id: UUID | None, booking_id: UUID | None,
                 expires_at: datetime | None, reference: str | None, confirmation_url: str | None,
                 organizer_id: UUID | None = None) -> None:
        # organizer_id: absent from payments requested before organizers confirmed cash at the door.
        self.user_id = user_id
        self.organizer_id = organizer_id
        self.amount = amount
        self.currency = currency
        self.method = method
        self.provider = provider
        self.is_offline = is_offline
        self.description = description
        self.event_id = event_id
        self.booking_id = booking_id
        self.expires_at = expires_at
        self.reference = reference
        self.confirmation_url = confirmation_url
        self.status = PENDING
        self.failure_reason: str | None = None
        self.confirmed_by: UUID | None = None
        self.refund_reason: str | None = None
        self.refund_requested: str | None = None
        self.refund_requested_amount: Decimal | None = None  # None: all of it
        self.refunded_amount: Decimal | None = None
        self.client_secret: str | None = None
        self.stray_refund_reference: str | None = None
        self.stray_charge_refunded = False

    @property
    def is_top_up(self) -> bool:
        return self.event_id is None and self.booking_id is None

    def issue_client_secret(self, client_secret: str) -> None:
        """Keep what the payer's client-side SDK needs to complete the charge (Stripe.js); shown only to the payer."""
        self._client_secret_issued(client_secret=client_secret)

    @event("ClientSecretIssued")
    def _client_secret_issued(self, client_secret: str) -> None:
        self.client_secret = client_secret

    def refund_stray_charge(self, provider_reference: str | None) -> None:
        """The provider took money on a payment we had already failed: it went back (never keep money for nothing)."""
        self.check_stray_charge()
        self._stray_charge_refunded(user_id=self.user_id, booking_id=self.booking_id, amount=self.amount,
                                    currency=self.currency, provider_reference=provider_reference)

    @event("StrayChargeRefunded")
    def _stray_charge_refunded(self, user_id: UUID, booking_id: UUID | None, amount: Decimal, currency: str,
                               provider_reference: str | None) -> None:
        self.stray_charge_refunded = True
        self.stray_refund_reference = provider_reference

    def check_stray_charge(self) -> None:
        """Only a failed or voided payment can have a stray charge, and it is refunded once."""
        if self.status not in (FAILED, VOIDED) or self.stray_charge_refunded:
            raise errors.PaymentNotRefundable("only a failed or voided payment's late charge is refunded this way, "
                                              "once")

    def succeed(self, *, confirmed_by: UUID | None = None) -> None:
        """The money is taken (provider, wallet or, for offline payments, an operator said so)."""
        self.check_pending()
        self._succeeded(user_id=self.user_id, booking_id=self.booking_id, amount=self.amount,
                        currency=self.currency, confirmed_by=confirmed_by)

    class Succeeded(Aggregate.Event):
        user_id: UUID
        booking_id: UUID | None
        amount: Decimal
        currency: str
        confirmed_by: UUID | None

    @event(Succeeded)
    def _succeeded(self, user_id: UUID, booking_id: UUID | None, amount: Decimal, currency: str,
                   confirmed_by: UUID | None) -> None:
        # Payer, booking and amount are recorded again so the public PaymentSucceeded is built from this event.
        self.status = SUCCEEDED
        self.confirmed_by = confirmed_by

    def confirm_offline(self, operator_id: UUID, *, may_confirm_any: bool = True) -> None:
        """An operator (or the event's organizer, at the door) took the cash."""
        self.check_confirmable_by(operator_id, may_confirm_any=may_confirm_any)
        self.succeed(confirmed_by=operator_id)

    def check_confirmable_by(self, operator_id: UUID, *, may_confirm_any: bool = True) -> None:
        """Only offline payments are confirmed by hand, and never by the payer: two people see the cash. Without
        payments:confirm (`may_confirm_any`), only the organizer of the payment's event may: cash at their door."""
        if not may_confirm_any and (self.organizer_id is None or operator_id != self.organizer_id):
            raise errors.NotEventOrganizer("confirming this payment needs the permission 'payments:confirm', or "
                                           "being the organizer of the event it pays for")
        self.check_offline()
        if operator_id == self.user_id:
            raise errors.OwnPaymentConfirmation("nobody confirms their own payment; another operator must take "
                                                "the cash")

    def fail(self, reason: str) -> None:
        """The payment did not go through."""
        self.check_pending()
        self._failed(user_id=self.user_id, booking_id=self.booking_id, reason=reason)

    class Failed(Aggregate.Event):
        user_id: UUID
        booking_id: UUID | None
        reason: str

    @event(Failed)
    def _failed(self, user_id: UUID, booking_id: UUID | None, reason: str) -> None:
        self.status = FAILED
        self.failure_reason = reason

    def void(self, reason: str) -> bool:
        """The booking was cancelled before it was paid: nobody may pay this any more. True when it was voided
        now; a payment no longer pending is left alone (a paid one is refunded by the saga)."""
        if self.status != PENDING:
            return False
        self._voided(user_id=self.user_id, booking_id=self.booking_id, reason=reason)
        return True

    class Voided(Aggregate.Event):
        user_id: UUID
        booking_id: UUID | None
        reason: str

    @event(Voided)
    def _voided(self, user_id: UUID, booking_id: UUID | None, reason: str) -> None:
        self.status = VOIDED
        self.failure_reason = reason

    def request_refund(self, reason: str, amount: Decimal | None = None) -> None:
        """Give the money (or `amount` of it) back as soon as it arrives (the booking is gone while the payer is
        still paying)."""
        self.check_pending()
        if self.refund_requested is None:
            self._refund_requested(reason=reason, amount=amount)

    @event("RefundRequested")
    def _refund_requested(self, reason: str, amount: Decimal | None = None) -> None:
        self.refund_requested = reason
        self.refund_requested_amount = amount

    def refund_amount(self, amount: Decimal | None) -> Decimal:
        """What a refund of `amount` (None: all of it) gives back; refuses more than was paid, or dust."""
        if amount is None:
            return self.amount
        check_amount(amount, self.currency)
        if amount > self.amount:
            raise errors.InvalidRefundAmount(f"cannot refund {amount} {self.currency} of a {self.amount} payment")
        return normalised(amount, self.currency)

    def mark_refunded(self, *, refund_id: UUID, reason: str, amount: Decimal | None = None) -> None:
        """The money (all of it, or `amount` — the rest is a kept fee) went back to the payer (see Refund)."""
        self.check_refundable()
        self._refunded(user_id=self.user_id, booking_id=self.booking_id, amount=self.refund_amount(amount),
                       currency=self.currency, refund_id=refund_id, reason=reason)

    class Refunded(Aggregate.Event):
        user_id: UUID
        booking_id: UUID | None
        amount: Decimal
        currency: str
        refund_id: UUID
        reason: str

    @event(Refunded)
    def _refunded(self, user_id: UUID, booking_id: UUID | None, amount: Decimal, currency: str, refund_id: UUID,
                  reason: str) -> None:
        # `amount` is what went back: the whole payment, or less when a cancellation fee was kept.
        self.status = REFUNDED
        self.refund_reason = reason
        self.refunded_amount = amount

    def check_pending(self) -> None:
        """Only a pending payment can succeed, fail or be confirmed."""
        if self.status == VOIDED:
            raise errors.PaymentVoided(f"the payment was voided ({self.failure_reason}): its booking was cancelled "
                                       "before it was paid, so it can no longer be paid")
        if self.status != PENDING:
            raise errors.PaymentNotPending(f"the payment is {self.status}, not pending")

    def check_refundable(self) -> None:
        """Only money actually taken can be given back, and only once."""
        if self.status != SUCCEEDED:
            raise errors.PaymentNotRefundable(f"the payment is {self.status}; only succeeded payments can be refunded")

    def check_offline(self) -> None:
        """Operators confirm only offline (cash) payments; online ones are settled by their provider."""
        if not self.is_offline:
            raise errors.NotOfflinePayment(f"a {self.method} payment is confirmed by its provider, not by an operator")

    def check_owner(self, user_id: UUID) -> None:
        """Only the payer completes their own payment."""
        if user_id != self.user_id:
            raise errors.NotPaymentOwner("only the payer may complete this payment")
