"""What the bookings service publishes on `bookings.v1`: the life of a booking, for notifications,
read models and other teams. Every message is keyed by booking id, except `LeaseUseChanged` (keyed by the
event's seat lease ledger: one per event)."""

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

BookingStatus = Literal["pending", "awaiting_payment", "confirmed", "waitlisted", "cancelled", "rejected", "expired"]


class BookingRef(BaseModel):
    """Identifies a booking in every bookings.v1 message."""

    booking_id: UUID = Field(description="The booking.")
    event_id: UUID = Field(description="The event booked.")
    user_id: UUID = Field(description="Who booked.")


@message(topics.BOOKINGS)
class BookingRequested(BookingRef):
    """A user asked for seats; the saga starts (status `pending`)."""

    group_size: int = Field(description="Seats asked for.", examples=[2], json_schema_extra=lim.count(1))
    payment_method: str | None = Field(default=None, description="How the user will pay (paid events).",
                                       examples=["card"], json_schema_extra=lim.text(lim.PAYMENT_METHOD))
    requested_at: datetime = Field(description="When (UTC).")
    sequence: int | None = Field(
        default=None, description="Acceptance number within the event (1 = accepted first): first come, first "
        "served order. Absent for bookings accepted before numbering.", examples=[17],
        json_schema_extra=lim.count(1))


@message(topics.BOOKINGS)
class BookingAwaitingPayment(BookingRef, CanonicalMoney):
    """Seats are held until `expires_at`; the user must pay `payment_id`."""

    money_fields = {"amount": "currency"}

    payment_id: UUID = Field(description="The payment to complete.")
    amount: Decimal = Field(description="Price × group size.", examples=["50.00"], json_schema_extra=lim.money())
    currency: str = Field(description="ISO 4217.", examples=["EUR"], json_schema_extra=lim.text(lim.CURRENCY))
    expires_at: datetime = Field(description="Hold deadline (UTC); afterwards the seats go to the next in line.")


@message(topics.BOOKINGS)
class BookingConfirmed(BookingRef):
    """The booking holds its seats for good (free event, or paid)."""

    group_size: int = Field(description="Seats held.", examples=[2], json_schema_extra=lim.count(1))
    payment_id: UUID | None = Field(default=None, description="The payment, for paid events.")


@message(topics.BOOKINGS)
class BookingWaitlisted(BookingRef):
    """The event was full: the booking waits in line."""

    position: int = Field(description="1-based place in the event's waitlist when it joined.", examples=[3],
                          json_schema_extra=lim.count(1))


@message(topics.BOOKINGS)
class BookingPromoted(BookingRef):
    """Seats freed up: a waitlisted booking leaves the line and asks for seats again (notify the user)."""

    group_size: int = Field(description="Seats asked for.", examples=[2], json_schema_extra=lim.count(1))


@message(topics.BOOKINGS)
class BookingLatePaymentAccepted(BookingRef):
    """A payment arrived after the hold lapsed: the expired booking asks for seats again (status `pending`);
    it ends `confirmed`, or `expired` again with the money refunded."""

    group_size: int = Field(description="Seats asked for.", examples=[2], json_schema_extra=lim.count(1))
    payment_id: UUID = Field(description="The late payment, kept if the seats are still there.")


@message(topics.BOOKINGS)
class BookingCancelled(BookingRef):
    """The booking ended by cancellation (user, event cancelled, or failed payment)."""

    reason: str = Field(description="user | admin | event_cancelled | payment_failed | payment_refunded | "
                        "left_waitlist", examples=["user"], json_schema_extra=lim.text(lim.REASON))
    refund_payment_id: UUID | None = Field(default=None, description="Payment being refunded, if one was made.")
    refund_amount: Decimal | None = Field(default=None, description="What goes back to the payer when less than "
                                          "they paid (the cancellation fee is kept); absent means all of it.",
                                          examples=["45.00"], json_schema_extra=lim.money())


@message(topics.BOOKINGS)
class BookingRejected(BookingRef):
    """The event could not take the booking (cancelled, not bookable, capacity reduced below the group, line full)."""

    reason: str = Field(description="event_cancelled | not_bookable | unknown_event | capacity_reduced | "
                        "waitlist_full", examples=["event_cancelled"], json_schema_extra=lim.text(lim.REASON))


@message(topics.BOOKINGS)
class BookingExpired(BookingRef):
    """The payment hold lapsed before payment; the seats were released."""

    payment_id: UUID | None = Field(default=None, description="The payment that was not completed in time.")


@message(topics.BOOKINGS)
class LeaseUseChanged(BaseModel):
    """The event's seat lease ledger (issue 8) after a save that changed its figures: how many leased seats
    bookings hold. One message per ledger save, not per booking; the catalogue counts
    `seats_available = capacity - reserved - in_use` from it (a higher `ledger_version` wins)."""

    event_id: UUID = Field(description="The event whose seats the ledger holds on lease.")
    leased: int = Field(description="Seats the ledger holds on lease from the event (granted, not returned).",
                        examples=[32], json_schema_extra=lim.count())
    in_use: int = Field(description="Leased seats that confirmed bookings hold (at most `leased`).", examples=[20],
                        json_schema_extra=lim.count())
    ledger_version: int = Field(description="The ledger's version after the save: orders these messages "
                                "(a lower one is older news).", examples=[57], json_schema_extra=lim.count(1))


BOOKING_FINAL_STATUSES: tuple[BookingStatus, ...] = ("confirmed", "cancelled", "rejected", "expired")
