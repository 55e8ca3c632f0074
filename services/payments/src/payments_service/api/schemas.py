"""Request and response bodies of /api/v1/payments (types only; the business rules live in domain/)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from contracts import limits as lim
from contracts.money import CanonicalMoney
from contracts.vocabulary import PaymentMethod, PaymentStatus, RefundReason
from webkit.fields import Line, Text

from payments_service.domain import Payment, Wallet

StatusFilter = Literal["pending", "succeeded", "success", "failed", "refunded", "voided"]


class PaymentCreate(BaseModel):
    """A wallet top-up (the seed's fields work unchanged; `card` is served by the configured card provider).

    Payments of bookings are created by the booking itself at the event's price; sending `event_id` or
    `booking_id` here is refused with a 422 that says so.
    """

    amount: Decimal = Field(max_digits=14, description="Positive, at most the currency's decimal places.",
                            examples=["25.00"])
    currency: Annotated[str, Line(lim.CURRENCY, min_length=1)] = Field(description="ISO 4217 code.", examples=["EUR"])
    description: Annotated[str, Text(lim.PAYMENT_DESCRIPTION)] | None = Field(default=None, examples=["Wallet top-up"])
    event_id: UUID | None = Field(default=None, description="Not accepted: book the event instead.")
    booking_id: UUID | None = Field(default=None, description="Not accepted: the booking creates its payment.")
    payment_method: Annotated[str, Line(20)] = Field(default="card",
                                                     description="card | sandbox | stripe | yookassa | cash",
                                                     examples=["sandbox"])

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


class PaymentRefund(BaseModel):
    """Why the money goes back (kept on the refund record)."""

    reason: Annotated[str, Line(lim.REFUND_REASON, min_length=1)] = Field(default="refunded_by_admin",
                                                                          examples=["duplicate charge"])


class SandboxOutcome(BaseModel):
    """How the pretend card payment ends."""

    outcome: Literal["succeeded", "failed"] = Field(examples=["succeeded"])


class PaymentPublic(CanonicalMoney):
    """A payment as clients see it; amounts with exactly their currency's minor units ("25.00", "1000" JPY)."""

    money_fields = {"amount": "currency", "refunded_amount": "currency"}

    id: UUID
    user_id: UUID
    amount: Decimal
    currency: str
    description: str | None
    event_id: UUID | None
    booking_id: UUID | None
    payment_method: PaymentMethod
    provider: str
    is_offline: bool = Field(description="Paid at the desk; confirmed by support or an admin.")
    status: PaymentStatus
    confirmation_url: str | None = Field(description="Where the payer completes an online payment.")
    client_secret: str | None = Field(
        default=None, description="Stripe: the PaymentIntent's client secret, for Stripe.js to complete a card "
                                  "payment. Shown to the payer only, on single-payment responses.")
    failure_reason: str | None = None
    refund_reason: RefundReason | str | None = Field(
        default=None, description="Why the money went back: one of the listed reasons (a booking's cancellation "
                                  "gives its own word, e.g. `user`), or an admin's own words.")
    refunded_amount: Decimal | None = Field(default=None, description="What went back to the payer (refunded "
                                            "payments); less than `amount` when a cancellation fee was kept.")
    created_at: datetime
    updated_at: datetime

    @field_validator("refund_reason", mode="before")
    @classmethod
    def _today_word(cls, value: object) -> object:
        """Payments refunded before the shared vocabulary say e.g. `booking_user`: shown as today's `user`."""
        return RefundReason.read(value) if isinstance(value, str) else value

    @classmethod
    def from_aggregate(cls, p: Payment, *, viewer: UUID | None = None) -> PaymentPublic:
        """From the event store (single-payment endpoints: always current); the payer (`viewer`) sees the secret."""
        return cls(client_secret=p.client_secret if viewer == p.user_id and p.status == "pending" else None,
                   id=p.id, user_id=p.user_id, amount=p.amount, currency=p.currency, description=p.description,
                   event_id=p.event_id, booking_id=p.booking_id, payment_method=p.method, provider=p.provider,
                   is_offline=p.is_offline, status=p.status, confirmation_url=p.confirmation_url,
                   failure_reason=p.failure_reason, refund_reason=p.refund_reason,
                   refunded_amount=getattr(p, "refunded_amount", None), created_at=p.created_on,
                   updated_at=p.modified_on)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PaymentPublic:
        """From the payments_view read model (the list endpoint)."""
        return cls(id=row["payment_id"], is_offline=row["provider"] == "cash",
                   **{k: v for k, v in row.items() if k in cls.model_fields})


class Balance(CanonicalMoney):
    """Money in one currency."""

    money_fields = {"amount": "currency"}

    currency: str
    amount: Decimal


class WalletPublic(BaseModel):
    """What the caller holds in their wallet, per currency."""

    user_id: UUID
    balances: list[Balance]

    @classmethod
    def from_aggregate(cls, wallet: Wallet) -> WalletPublic:
        return cls(user_id=wallet.user_id, balances=[Balance(currency=c, amount=a)
                                                     for c, a in sorted(wallet.balances.items())])


class WebhookReceipt(BaseModel):
    """The answer to a provider: accepted (a repeat is accepted too, and changes nothing)."""

    received: bool = True
    duplicate: bool
    payment_id: UUID | None = None
    status: str | None = None
