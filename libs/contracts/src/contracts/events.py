"""What the events service publishes on `events.v1`: the catalogue."""

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

PaymentMethod = Literal["card", "yookassa", "stripe", "cash", "balance", "sandbox"]
PAYMENT_METHODS: tuple[str, ...] = PaymentMethod.__args__  # type: ignore[attr-defined]


class EventDetails(CanonicalMoney):
    """The descriptive, organizer-editable part of an event."""

    money_fields = {"price": "currency"}

    title: str = Field(description="Title.", examples=["PyCon meetup"], json_schema_extra=lim.text(lim.TITLE))
    description: str = Field(default="", description="Free text.", examples=["Talks and pizza"],
                             json_schema_extra=lim.text(lim.DESCRIPTION))
    start_time: datetime = Field(description="Start (UTC).")
    duration_minutes: int = Field(description="Length in minutes.", examples=[90], json_schema_extra=lim.count(1))
    max_participants: int = Field(description="Seat capacity.", examples=[100], json_schema_extra=lim.count(1))
    is_paid: bool = Field(description="Whether seats cost money.", examples=[True])
    price: Decimal | None = Field(default=None, description="Price of one seat when paid.", examples=["25.00"],
                                  json_schema_extra=lim.money())
    currency: str | None = Field(default=None, description="ISO 4217 code when paid.", examples=["EUR"],
                                 json_schema_extra=lim.text(lim.CURRENCY))
    allowed_payment_methods: list[str] = Field(default_factory=list, description="Methods a booking may use.",
                                               examples=[["card", "cash"]],
                                               json_schema_extra=lim.strings(lim.PAYMENT_METHODS, lim.PAYMENT_METHOD))
    tags: list[str] = Field(default_factory=list, description="Free tags for search (lower-case).",
                            examples=[["python"]], json_schema_extra=lim.strings(lim.TAGS, lim.TAG))


@message(topics.EVENTS)
class EventCreated(EventDetails):
    """An organizer published an event."""

    event_id: UUID = Field(description="The event's id.")
    created_by: UUID = Field(description="Organizer who created it.")
    created_at: datetime = Field(description="When (UTC).")
    seats_available: int = Field(description="Free seats right after creation (= capacity).", examples=[100],
                                 json_schema_extra=lim.count())


@message(topics.EVENTS)
class EventUpdated(BaseModel):
    """An organizer changed an event. `changes` holds only the fields that changed, with new values."""

    event_id: UUID = Field(description="The event's id.")
    changes: dict[str, object] = Field(description="Changed fields of EventDetails and their new values.",
                                       examples=[{"title": "New title", "max_participants": 120}],
                                       json_schema_extra={"maxProperties": len(EventDetails.model_fields),
                                                          "propertyNames": {"enum": list(EventDetails.model_fields)}})
    seats_available: int = Field(description="Free seats after the change.", examples=[80],
                                 json_schema_extra=lim.count())
    updated_at: datetime = Field(description="When (UTC).")


@message(topics.EVENTS)
class EventCancelled(BaseModel):
    """An organizer or admin cancelled an event; its bookings are to be cancelled and refunded."""

    event_id: UUID = Field(description="The event's id.")
    reason: str | None = Field(default=None, description="Why, shown to participants.", examples=["Venue flooded"],
                                json_schema_extra=lim.text(lim.CANCEL_REASON))
    cancelled_at: datetime = Field(description="When (UTC).")


# --- Seat capacity: commands the booking saga sends on `events.commands.v1` (keyed by event id, so one
# --- event's commands are applied by a single consumer in order), and what the Event answers on `events.v1`.

SeatsRejectedReason = Literal["full", "event_cancelled", "not_bookable", "unknown_event"]


@message(topics.EVENTS_COMMANDS)
class ReserveSeats(BaseModel):
    """Bookings asks the Event to hold `seats` for a booking. Answered by SeatsReserved or SeatsRejected.

    Idempotent per booking: a booking that already holds seats gets no second reservation.
    """

    event_id: UUID = Field(description="The event; also the message key.")
    booking_id: UUID = Field(description="The booking the seats are for.")
    seats: int = Field(ge=1, description="Number of seats (the group size).", examples=[2],
                       json_schema_extra=lim.count(1))
    user_id: UUID = Field(description="Who booked (for the audit trail).")
    attempt: int = Field(default=1, ge=1, description="The booking's reservation attempt (a promoted or late-paid "
                         "booking asks again with attempt + 1); a command with an attempt already answered for "
                         "that booking is a duplicate and is ignored.", examples=[1], json_schema_extra=lim.count(1))
    repeat: bool = Field(default=False, description="Sent again by the bookings sweeper because no answer came: "
                         "if this attempt was already answered, the answer is published again (nothing else "
                         "changes); otherwise it is handled as a first request.", examples=[False])


@message(topics.EVENTS_COMMANDS)
class ReleaseSeats(BaseModel):
    """Bookings gives back a booking's seats (cancelled, expired, failed payment). Answered by SeatsReleased.

    Idempotent: releasing a booking that holds nothing changes nothing.
    """

    event_id: UUID = Field(description="The event; also the message key.")
    booking_id: UUID = Field(description="The booking whose seats are freed.")
    reason: str = Field(description="Why, for the audit trail.", examples=["payment_failed"],
                        json_schema_extra=lim.text(lim.REASON))


@message(topics.EVENTS)
class SeatsReserved(BaseModel):
    """The Event now holds `seats` for the booking."""

    event_id: UUID = Field(description="The event.")
    booking_id: UUID = Field(description="The booking that holds the seats.")
    seats: int = Field(description="Seats held for it.", examples=[2], json_schema_extra=lim.count())
    seats_available: int = Field(description="Free seats left after this reservation.", examples=[38],
                                 json_schema_extra=lim.count())
    attempt: int = Field(default=1, description="The attempt of the ReserveSeats this answers.", examples=[1],
                         json_schema_extra=lim.count(1))


@message(topics.EVENTS)
class SeatsRejected(BaseModel):
    """The Event could not hold the seats: `full` sends the booking to the waitlist, anything else rejects it."""

    event_id: UUID = Field(description="The event.")
    booking_id: UUID = Field(description="The booking that asked.")
    seats: int = Field(description="Seats asked for.", examples=[3], json_schema_extra=lim.count())
    reason: SeatsRejectedReason = Field(description="Why.", examples=["full"])
    seats_available: int = Field(description="Free seats at that moment.", examples=[1], json_schema_extra=lim.count())
    attempt: int = Field(default=1, description="The attempt of the ReserveSeats this answers.", examples=[1],
                         json_schema_extra=lim.count(1))


@message(topics.EVENTS)
class SeatsReleased(BaseModel):
    """A booking's seats are free again (the waitlist may be promoted)."""

    event_id: UUID = Field(description="The event.")
    booking_id: UUID = Field(description="The booking that gave the seats back.")
    seats: int = Field(description="Seats freed.", examples=[2], json_schema_extra=lim.count())
    seats_available: int = Field(description="Free seats after the release.", examples=[2],
                                 json_schema_extra=lim.count())


# --- Seat leases (issue 8, the escrow path for free bookings): the bookings service asks the Event for a block
# --- of seats it may then confirm free bookings from on its own, and gives back what it does not use. The Event
# --- keeps `reserved + leased <= capacity`; bookings' per-event lease ledger keeps `confirmed + held <= leased`.

LeaseRefusedReason = Literal["full", "event_cancelled", "not_bookable", "paid_event", "unknown_event"]


@message(topics.EVENTS_COMMANDS)
class RequestSeatLease(BaseModel):
    """Bookings asks the Event for up to `seats` seats in escrow. Answered by SeatsLeased or LeaseRefused.

    Idempotent per `lease_id`: a duplicate changes nothing; asked again with `repeat` (the sweeper, after no
    answer came), the Event answers again with what that lease got, changing nothing else.
    """

    event_id: UUID = Field(description="The event; also the message key.")
    lease_id: UUID = Field(description="Names this lease; the same id asked again is the same lease.")
    seats: int = Field(ge=1, description="Seats wanted (sized by demand); the Event may grant fewer.", examples=[20],
                       json_schema_extra=lim.count(1))
    repeat: bool = Field(default=False, description="Asked again by the bookings sweeper because no answer came: "
                         "a lease already answered gets its answer published again (nothing else changes). A "
                         "plain duplicate of an answered request (a re-published command) changes nothing.",
                         examples=[False])


@message(topics.EVENTS_COMMANDS)
class ReturnLeasedSeats(BaseModel):
    """Bookings gives unused leased seats back to the Event (idle lease, waitlist, event cancelled).
    Answered by LeasedSeatsReturned. Idempotent per `return_id`."""

    event_id: UUID = Field(description="The event; also the message key.")
    return_id: UUID = Field(description="Names this return; the same id again changes nothing.")
    seats: int = Field(ge=1, description="Seats given back.", examples=[5], json_schema_extra=lim.count(1))
    reason: str = Field(description="Why, for the audit trail.", examples=["idle"],
                        json_schema_extra=lim.text(lim.REASON))


@message(topics.EVENTS)
class SeatsLeased(BaseModel):
    """The Event granted `seats` (1..asked) to bookings' lease ledger; they are no longer the Event's to give."""

    event_id: UUID = Field(description="The event.")
    lease_id: UUID = Field(description="The lease this answers.")
    seats: int = Field(description="Seats granted.", examples=[20], json_schema_extra=lim.count(1))
    seats_leased: int = Field(description="All seats out on lease after this grant.", examples=[20],
                              json_schema_extra=lim.count())
    seats_unallocated: int = Field(description="Seats neither reserved nor leased after this grant.", examples=[80],
                                   json_schema_extra=lim.count())


@message(topics.EVENTS)
class LeaseRefused(BaseModel):
    """The Event granted nothing for this lease (no seat left, cancelled, started, paid event)."""

    event_id: UUID = Field(description="The event.")
    lease_id: UUID = Field(description="The lease this answers.")
    seats: int = Field(description="Seats asked for.", examples=[20], json_schema_extra=lim.count(1))
    reason: LeaseRefusedReason = Field(description="Why.", examples=["full"])


@message(topics.EVENTS)
class LeasedSeatsReturned(BaseModel):
    """Leased seats are the Event's to give again (the waitlist may be promoted)."""

    event_id: UUID = Field(description="The event.")
    return_id: UUID = Field(description="The return this answers.")
    seats: int = Field(description="Seats given back.", examples=[5], json_schema_extra=lim.count(1))
    seats_leased: int = Field(description="Seats still out on lease.", examples=[15], json_schema_extra=lim.count())
    seats_unallocated: int = Field(description="Seats neither reserved nor leased after the return.", examples=[85],
                                   json_schema_extra=lim.count())


# --- Reviews: an attendee rates an event once it has started; support or an admin moderates. Keyed by review
# --- id (one review per user per event: the id is derived from both). Only approved reviews count in ratings.

@message(topics.EVENTS)
class ReviewSubmitted(BaseModel):
    """An attendee reviewed an event; the review waits for moderation (`pending`)."""

    review_id: UUID = Field(description="The review; the same for the same (event, author), so there is one each.")
    event_id: UUID = Field(description="The event reviewed.")
    author_id: UUID = Field(description="Who wrote it (a user with a confirmed booking for the event).")
    rating: int = Field(description="Stars, 1 to 5.", examples=[4], json_schema_extra={"minimum": 1, "maximum": 5})
    comment: str = Field(description="What the author wrote.", examples=["Great talks, too little pizza."],
                         json_schema_extra=lim.text(lim.REVIEW_COMMENT))
    submitted_at: datetime = Field(description="When (UTC).")


class ReviewDecision(BaseModel):
    """What a moderator decided about a review, with what the author's notification needs."""

    review_id: UUID = Field(description="The review.")
    event_id: UUID = Field(description="The event reviewed.")
    author_id: UUID = Field(description="Who wrote the review (the user to notify).")
    rating: int = Field(description="The review's stars, 1 to 5.", examples=[4],
                        json_schema_extra={"minimum": 1, "maximum": 5})
    moderator_id: UUID = Field(description="The support agent or admin who decided.")
    reason: str | None = Field(default=None, description="Why, as the moderator wrote it (shown to the author).",
                               examples=["Thanks for the detailed feedback"],
                               json_schema_extra=lim.text(lim.MODERATION_REASON))
    decided_at: datetime = Field(description="When (UTC).")


@message(topics.EVENTS)
class ReviewApproved(ReviewDecision):
    """A moderator approved a review: it is public and counts in the event's rating (tell the author)."""


@message(topics.EVENTS)
class ReviewRejected(ReviewDecision):
    """A moderator rejected a review: it stays hidden (tell the author, with the reason)."""
