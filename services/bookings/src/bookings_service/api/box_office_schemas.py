"""Response bodies of an event's box office (attendees, sales summary), and the CSV export's cells."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.money import format_amount
from contracts.vocabulary import BookingStatus, CancellationReason, PaymentMethod, PaymentStatus, RejectionReason

from bookings_service.projections.box_office_query import SalesSummary

CSV_COLUMNS = ("booking_id", "user_id", "full_name", "email", "group_size", "status", "payment_method",
               "payment_id", "payment_status", "amount", "currency", "booked_at", "confirmed_at")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): such cells get a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell: text as is, but never something a spreadsheet would run as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_STARTS) else text


class AttendeePublic(BaseModel):
    """One booking of the event, with who made it and where its payment stands."""

    booking_id: UUID
    user_id: UUID
    full_name: str | None = Field(description="The attendee's name (null until the users directory has them).")
    email: str | None = Field(description="The attendee's e-mail.")
    group_size: int
    status: BookingStatus
    reason: CancellationReason | RejectionReason | None = Field(default=None,
                                                                description="Why it was cancelled or rejected.")
    payment_method: PaymentMethod | None
    payment_id: UUID | None = Field(description="The booking's payment (cash: confirm it at the door with "
                                                "POST /api/v1/payments/{id}/confirm).")
    payment_status: PaymentStatus | None = Field(description="Null for free bookings or before the payment is "
                                                             "known.")
    amount: str | None = Field(description="Price × group size, in the currency's minor units.", examples=["50.00"])
    currency: str | None
    booked_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AttendeePublic:
        return cls(booking_id=row["booking_id"], user_id=row["user_id"], full_name=row["full_name"],
                   email=row["email"], group_size=row["group_size"], status=row["status"], reason=row["reason"],
                   payment_method=row["payment_method"], payment_id=row["payment_id"],
                   payment_status=row["payment_status"], amount=format_amount(row["amount"], row["currency"]),
                   currency=row["currency"], booked_at=row["created_at"], confirmed_at=row["confirmed_at"])

    def csv_values(self) -> list[Any]:
        return [getattr(self, column) for column in CSV_COLUMNS]


class SeatCounts(BaseModel):
    capacity: int = Field(description="The event's max_participants.")
    confirmed: int = Field(description="Seats of confirmed bookings.")
    held: int = Field(description="Seats held for bookings awaiting payment.")
    pending: int = Field(description="Seats being asked of the event right now.")
    free: int = Field(description="Seats nobody holds.")


class WaitlistCounts(BaseModel):
    bookings: int = Field(description="Bookings waiting in line.")
    seats: int = Field(description="Seats they wait for.")


class Revenue(BaseModel):
    currency: str
    payment_method: str
    payments: int = Field(description="Payments that took money (including those later refunded).")
    gross: str = Field(description="Money taken.", examples=["150.00"])
    refunded: str = Field(description="Money given back.", examples=["50.00"])
    net: str = Field(description="Money kept (gross − refunded; cancellation fees stay in it).", examples=["100.00"])


class Refunds(BaseModel):
    currency: str
    refunds: int = Field(description="Refunded payments.")
    amount: str = Field(description="Money given back.", examples=["50.00"])


class SalesSummaryPublic(BaseModel):
    """An event's sales at a glance (from views: a few seconds behind the bookings and payments)."""

    event_id: UUID
    seats: SeatCounts
    waitlist: WaitlistCounts
    bookings: dict[str, int] = Field(description="Bookings per status.", examples=[{"confirmed": 12, "cancelled": 1}])
    revenue: list[Revenue]
    refunds: list[Refunds]

    @classmethod
    def from_summary(cls, event_id: UUID, s: SalesSummary) -> SalesSummaryPublic:
        return cls(event_id=event_id, seats=SeatCounts(capacity=s.capacity, free=s.seats_free, **s.seats),
                   waitlist=WaitlistCounts(**s.waitlist), bookings=s.bookings,
                   revenue=[Revenue(**r) for r in s.revenue], refunds=[Refunds(**r) for r in s.refunds])
