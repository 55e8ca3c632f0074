"""Payments: commands the booking saga sends on `payments.commands.v1` and what the payments service
publishes on `payments.v1`. Keyed by payment id. Money is a Decimal string with an ISO 4217 currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import limits as lim
from contracts import topics
from contracts.money import CanonicalMoney
from contracts.registry import message
from contracts.vocabulary import RefundReason

PaymentStatus = Literal["pending", "succeeded", "failed", "refunded", "voided"]

_REFUND_REASON = ("Why (contracts.vocabulary.RefundReason): " + " | ".join(RefundReason) + ", or an admin's own "
                  "words. Messages from before the shared vocabulary may say `booking_<word>` (read with "
                  "RefundReason.read).")


@message(topics.PAYMENTS_COMMANDS)
class RequestPayment(CanonicalMoney):
    """Bookings asks for a payment of a booking. The payment id is chosen by bookings (deterministic), so a
    redelivered command finds the payment it already created."""

    money_fields = {"amount": "currency"}

    payment_id: UUID = Field(description="Id of the payment to create.")
    booking_id: UUID = Field(description="The booking paid for.")
    event_id: UUID = Field(description="The event.")
    user_id: UUID = Field(description="Who pays.")
    amount: Decimal = Field(description="Amount to charge.", examples=["50.00"], json_schema_extra=lim.money())
    currency: str = Field(description="ISO 4217.", examples=["EUR"], json_schema_extra=lim.text(lim.CURRENCY))
    payment_method: str = Field(description="card | stripe | yookassa | sandbox | cash | balance",
                                examples=["sandbox"], json_schema_extra=lim.text(lim.PAYMENT_METHOD))
    expires_at: datetime | None = Field(default=None, description="Hold deadline of the booking (UTC).")
    organizer_id: UUID | None = Field(default=None, description="The event's organizer: they may confirm a cash "
                                      "payment of their own event at the door (absent from older commands).")


@message(topics.PAYMENTS_COMMANDS)
class RefundPayment(BaseModel):
    """Bookings asks to give the money of a payment back (cancelled booking, cancelled event, late payment)."""

    payment_id: UUID = Field(description="The payment to refund.")
    booking_id: UUID = Field(description="The booking.")
    reason: str = Field(description=_REFUND_REASON, examples=["user"], json_schema_extra=lim.text(lim.REASON))
    amount: Decimal | None = Field(default=None, description="How much to give back, in the payment's currency, "
                                   "when less than all of it (a participant's cancellation keeps the "
                                   "refund_fee_percent); absent means the whole payment.", examples=["45.00"],
                                   json_schema_extra=lim.money())


@message(topics.PAYMENTS_COMMANDS)
class VoidPayment(BaseModel):
    """Bookings asks to void a payment nobody should make any more (its booking was cancelled before it was
    paid). A payment that was already paid is refunded instead, by the saga, when it hears of it."""

    payment_id: UUID = Field(description="The pending payment to void.")
    booking_id: UUID = Field(description="The booking.")
    reason: str = Field(description="Why: the booking's cancellation reason (contracts.vocabulary."
                        "CancellationReason).", examples=["user"], json_schema_extra=lim.text(lim.REASON))


@message(topics.PAYMENTS)
class PaymentRequested(CanonicalMoney):
    """A payment exists and waits for the user (or an operator, for cash)."""

    money_fields = {"amount": "currency"}

    payment_id: UUID = Field(description="The payment.")
    booking_id: UUID | None = Field(default=None, description="The booking, if any (absent for top-ups).")
    event_id: UUID | None = Field(default=None, description="The event, if any.")
    user_id: UUID = Field(description="Who pays.")
    amount: Decimal = Field(description="Amount.", examples=["50.00"], json_schema_extra=lim.money())
    currency: str = Field(description="ISO 4217.", examples=["EUR"], json_schema_extra=lim.text(lim.CURRENCY))
    payment_method: str = Field(description="Method.", examples=["card"],
                                json_schema_extra=lim.text(lim.PAYMENT_METHOD))
    provider: str = Field(description="Provider handling it.", examples=["sandbox"],
                          json_schema_extra=lim.text(lim.PROVIDER))
    confirmation_url: str | None = Field(default=None, description="Where the user completes it, if online.",
                                         json_schema_extra=lim.text(lim.URL))
    description: str | None = Field(default=None, description="What it is for, as the payer wrote it (top-ups).",
                                    examples=["Wallet top-up"], json_schema_extra=lim.text(lim.PAYMENT_DESCRIPTION))


@message(topics.PAYMENTS)
class PaymentSucceeded(CanonicalMoney):
    """The money is taken."""

    money_fields = {"amount": "currency"}

    payment_id: UUID = Field(description="The payment.")
    booking_id: UUID | None = Field(default=None, description="The booking, if any.")
    user_id: UUID = Field(description="Who paid.")
    amount: Decimal = Field(description="Amount.", examples=["50.00"], json_schema_extra=lim.money())
    currency: str = Field(description="ISO 4217.", examples=["EUR"], json_schema_extra=lim.text(lim.CURRENCY))


@message(topics.PAYMENTS)
class PaymentFailed(BaseModel):
    """The payment did not go through (declined, cancelled, insufficient balance)."""

    payment_id: UUID = Field(description="The payment.")
    booking_id: UUID | None = Field(default=None, description="The booking, if any.")
    user_id: UUID = Field(description="Who tried to pay.")
    reason: str = Field(description="Why.", examples=["card_declined"], json_schema_extra=lim.text(lim.REASON))


@message(topics.PAYMENTS)
class PaymentRefunded(CanonicalMoney):
    """The money went back to the payer."""

    money_fields = {"amount": "currency"}

    payment_id: UUID = Field(description="The refunded payment.")
    booking_id: UUID | None = Field(default=None, description="The booking, if any.")
    user_id: UUID = Field(description="Who gets the money back.")
    amount: Decimal = Field(description="Amount refunded.", examples=["50.00"], json_schema_extra=lim.money())
    currency: str = Field(description="ISO 4217.", examples=["EUR"], json_schema_extra=lim.text(lim.CURRENCY))
    reason: str = Field(description=_REFUND_REASON, examples=["user"], json_schema_extra=lim.text(lim.REASON))


@message(topics.PAYMENTS)
class PaymentMethodsAvailable(BaseModel):
    """Which payment methods this deployment takes: the payments worker publishes it at start-up whenever the
    set differs from the one it last published (its configuration changed). Keyed by a fixed id, so the latest
    message is the current fact; the events service keeps it to refuse events advertising other methods."""

    methods: list[str] = Field(description="Enabled methods (card | stripe | yookassa | sandbox | cash | balance); "
                               "`card` is listed when the provider serving it is enabled.",
                               examples=[["card", "cash", "balance", "sandbox"]],
                               json_schema_extra=lim.strings(lim.PAYMENT_METHODS, lim.PAYMENT_METHOD))
    card_provider: str | None = Field(default=None, description="The provider serving `card`, when it is enabled.",
                                      examples=["stripe"], json_schema_extra=lim.text(lim.PROVIDER))
    announced_at: datetime = Field(description="When this set took effect (UTC).")


@message(topics.PAYMENTS)
class PaymentVoided(BaseModel):
    """A pending payment can no longer be paid (its booking was cancelled); a charge that arrives anyway is
    given back."""

    payment_id: UUID = Field(description="The voided payment.")
    booking_id: UUID | None = Field(default=None, description="The booking, if any.")
    user_id: UUID = Field(description="Who was to pay.")
    reason: str = Field(description="Why.", examples=["user"], json_schema_extra=lim.text(lim.REASON))
