"""Request and response bodies of /api/v1/bookings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts import limits as lim
from contracts.money import CanonicalMoney
from contracts.vocabulary import BookingStatus, CancellationReason, PaymentMethod, RejectionReason
from webkit.fields import Line, PositiveInt32

from bookings_service.domain import AWAITING_PAYMENT, WAITLISTED, Booking

# The public names of a booking's states (the domain's own enum has the same values: domain/status.py).
Status = BookingStatus


class BookingCreate(BaseModel):
    """A request for seats at one event."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID = Field(description="The event to book.")
    group_size: PositiveInt32 = Field(default=1, description="Seats for the whole group (1..max_group_size).",
                                      examples=[2])
    payment_method: Annotated[str, Line(lim.PAYMENT_METHOD)] | None = Field(
        default=None, description="Required for paid events; one the event allows.", examples=["sandbox"])


class BookingPublic(CanonicalMoney):
    """A booking as its owner, the event's organizer and staff see it; `amount` with exactly its currency's
    minor units ("50.00", "2000" JPY)."""

    money_fields = {"amount": "currency"}

    id: UUID
    event_id: UUID
    user_id: UUID
    group_size: int
    payment_method: PaymentMethod | None
    status: BookingStatus
    waitlist_position: int | None = Field(default=None, description="1 = next in line (waitlisted only).")
    sequence: int | None = Field(default=None, description="Acceptance number within the event (1 = accepted "
                                 "first); first come, first served order. None for bookings accepted before "
                                 "numbering.")
    payment_id: UUID | None = Field(default=None, description="The payment to complete (awaiting_payment).")
    expires_at: datetime | None = Field(default=None, description="Hold deadline (awaiting_payment).")
    amount: Decimal | None = Field(default=None, description="Price × group size (paid events).")
    currency: str | None = None
    reason: CancellationReason | RejectionReason | None = Field(
        default=None, description="Why it was cancelled (CancellationReason) or rejected (RejectionReason).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_aggregate(cls, booking: Booking, waitlist_position: int | None = None) -> BookingPublic:
        awaiting = booking.status == AWAITING_PAYMENT
        return cls(id=booking.id, event_id=booking.event_id, user_id=booking.user_id, group_size=booking.group_size,
                   payment_method=booking.payment_method, status=BookingStatus(booking.status),
                   waitlist_position=waitlist_position if booking.status == WAITLISTED else None,
                   sequence=booking.sequence,
                   payment_id=booking.payment_id if awaiting else booking.paid_payment_id,
                   expires_at=booking.expires_at if awaiting else None, amount=booking.amount,
                   currency=booking.currency, reason=booking.reason, created_at=booking.created_on,
                   updated_at=booking.modified_on)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BookingPublic:
        awaiting = row["status"] == AWAITING_PAYMENT
        return cls(id=row["booking_id"], event_id=row["event_id"], user_id=row["user_id"],
                   group_size=row["group_size"], payment_method=row["payment_method"], status=row["status"],
                   waitlist_position=row.get("waitlist_position"), sequence=row.get("sequence"),
                   payment_id=row["payment_id"],
                   expires_at=row["expires_at"] if awaiting else None, amount=row["amount"],
                   currency=row["currency"], reason=row["reason"], created_at=row["created_at"],
                   updated_at=row["updated_at"])
