"""Request and response bodies of /api/v1/events (types only; the business rules live in domain/)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from contracts import limits as lim
from contracts.money import CanonicalMoney
from contracts.vocabulary import EventStatus, PaymentMethod, ReviewStatus
from webkit.fields import Int32, Line, LowerLine, Text, Timestamp

from events_service.domain import Event, Review
from events_service.projections.reviews_query import Rating

Status = EventStatus  # kept for importers; the shared vocabulary lives in contracts.vocabulary

# The bounded texts of these bodies (webkit.fields), named once.
Title = Annotated[str, Line(lim.TITLE)]
Description = Annotated[str, Text(lim.DESCRIPTION)]
Currency = Annotated[str, Line(lim.CURRENCY)]
MethodName = Annotated[str, LowerLine(lim.PAYMENT_METHOD)]
Tag = Annotated[str, LowerLine(lim.TAG)]


class EventCreate(BaseModel):
    """A new event. Price, currency and payment methods are needed only when `is_paid`.

    Every field is bounded (text by length, numbers by PostgreSQL's `integer`, times by the calendar), so
    whatever is accepted fits the catalogue view and its `events.v1` message (contracts.limits)."""

    title: Title = Field(examples=["PyCon meetup"])
    description: Description = Field(default="", examples=["Talks and pizza"])
    start_time: Timestamp = Field(description="Start; without a time zone it is taken as UTC.",
                                  examples=["2030-05-01T18:00:00Z"])
    duration_minutes: Int32 = Field(examples=[90])
    max_participants: Int32 = Field(description="Seat capacity.", examples=[100])
    is_paid: bool = Field(default=False, examples=[True])
    price: Decimal | None = Field(default=None, max_digits=12, decimal_places=3, examples=["25.00"],
                                  description="Per seat, in whole minor units of the currency "
                                              "(JPY 0, EUR 2, KWD 3 decimals).")
    currency: Currency | None = Field(default=None, examples=["EUR"])
    allowed_payment_methods: list[MethodName] = Field(
        default_factory=list, max_length=lim.PAYMENT_METHODS, examples=[["card", "cash"]])
    tags: list[Tag] = Field(default_factory=list, max_length=lim.TAGS,
                            description="Stored lower-case.", examples=[["python", "meetup"]])


# Fields that may be set to null in a PATCH (meaning "none"); the others may only be omitted.
_NULLABLE = {"price", "currency"}


class EventUpdate(BaseModel):
    """A partial change: only the fields sent are changed, with the same rules as at creation."""

    title: Title | None = None
    description: Description | None = None
    start_time: Timestamp | None = None
    duration_minutes: Int32 | None = None
    max_participants: Int32 | None = None
    is_paid: bool | None = None
    price: Decimal | None = Field(default=None, max_digits=12, decimal_places=3)
    currency: Currency | None = None
    allowed_payment_methods: list[MethodName] | None = Field(default=None, max_length=lim.PAYMENT_METHODS)
    tags: list[Tag] | None = Field(default=None, max_length=lim.TAGS)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> EventUpdate:
        nulls = sorted(f for f in self.model_fields_set - _NULLABLE if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"these fields cannot be null: {nulls}")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {f: getattr(self, f) for f in self.model_fields_set}


class EventCancel(BaseModel):
    """Why the event is called off (shown to participants)."""

    reason: Annotated[str, Text(lim.CANCEL_REASON)] | None = Field(default=None, examples=["Venue flooded"])


class EventPublic(CanonicalMoney):
    """An event as clients see it; `price` with exactly its currency's minor units ("25.00", "1000" JPY)."""

    money_fields = {"price": "currency"}

    id: UUID
    title: str
    description: str
    start_time: datetime
    duration_minutes: int
    max_participants: int
    seats_available: int = Field(description="Seats still free for booking.")
    is_paid: bool
    price: Decimal | None
    currency: str | None
    allowed_payment_methods: list[PaymentMethod]
    tags: list[str]
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    status: EventStatus
    cancel_reason: str | None = None
    rating_avg: float | None = Field(default=None, examples=[4.33],
                                     description="Average stars of the approved reviews (2 decimals); none yet: null.")
    rating_count: int = Field(default=0, examples=[3], description="How many approved reviews there are.")

    def rated(self, rating: Rating | None) -> EventPublic:
        """With the event's rating (from the reviews read model: eventually consistent, like the list)."""
        rating = rating or Rating()
        return self.model_copy(update={"rating_avg": rating.average, "rating_count": rating.count})

    @classmethod
    def from_aggregate(cls, event: Event, lease_in_use: int | None = None) -> EventPublic:
        """From the event store (single-event endpoints: always current); `lease_in_use`: the leased seats
        bookings hold (the `lease_use` view), so leased seats nobody holds count as available."""
        return cls(id=event.id, **event.details.as_state(), seats_available=event.seats_bookable(lease_in_use),
                   created_by=event.created_by, created_at=event.created_on, updated_at=event.modified_on,
                   status=event.status, cancel_reason=event.cancel_reason)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventPublic:
        """From the catalogue read model (the list endpoint)."""
        return cls(id=row["event_id"], **{k: v for k, v in row.items() if k in cls.model_fields})


class ReviewCreate(BaseModel):
    """An attendee's review of an event that has started."""

    rating: int = Field(ge=1, le=5, strict=True, description="Stars, a whole number from 1 to 5.", examples=[4])
    comment: Annotated[str, Text(lim.REVIEW_COMMENT, min_length=1)] = Field(
        description="What you thought of it (not only spaces).", examples=["Great talks, too little pizza."])


class ReviewDecision(BaseModel):
    """A moderator's optional note on approving or rejecting a review (the author is told)."""

    reason: Annotated[str, Text(lim.MODERATION_REASON)] | None = Field(default=None,
                                                                       examples=["Personal data in the text"])


class ReviewPublic(BaseModel):
    """A review as clients see it; who moderated it and why only for moderators (and the author's own)."""

    id: UUID
    event_id: UUID
    author_id: UUID
    rating: int
    comment: str
    status: ReviewStatus
    created_at: datetime
    moderated_at: datetime | None = None
    moderator_id: UUID | None = None
    reason: str | None = None

    @classmethod
    def from_aggregate(cls, review: Review) -> ReviewPublic:
        """From the event store (submitting and moderating: always current)."""
        return cls(id=review.id, event_id=review.event_id, author_id=review.author_id, rating=review.rating,
                   comment=review.comment, status=review.status, created_at=review.created_on,
                   moderated_at=review.decided_at, moderator_id=review.moderator_id, reason=review.reason)

    @classmethod
    def from_row(cls, row: dict[str, Any], *, moderator: bool) -> ReviewPublic:
        """From the reviews read model (the list); the moderation details are staff business."""
        return cls(id=row["review_id"], event_id=row["event_id"], author_id=row["author_id"], rating=row["rating"],
                   comment=row["comment"], status=row["status"], created_at=row["submitted_at"],
                   moderated_at=row["decided_at"], moderator_id=row["moderator_id"] if moderator else None,
                   reason=row["reason"] if moderator else None)
