"""Request and response bodies of /api/v1/mailings (types only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts import limits as lim
from webkit.fields import Line, LowerLine, Text, Timestamp

BookingStatus = Literal["pending", "awaiting_payment", "confirmed", "waitlisted", "cancelled", "rejected", "expired"]
MAILING_CONTENT = 20_000
CATEGORY = 64


class MailingFilters(BaseModel):
    """Who receives it (all given filters must hold). Booking filters match one of the person's bookings."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID | None = Field(default=None, description="People with a booking for this event "
                                  "(organizers must give one of their own events).")
    booking_status: BookingStatus | None = Field(default=None, description="...whose booking has this status.")
    is_paid: bool | None = Field(default=None, description="...whose booking is paid (true) or not (false).")
    role: Annotated[str, LowerLine(lim.ROLE_NAME, min_length=1)] | None = Field(
        default=None, description="People with this role.", examples=["participant"])
    registered_before: Timestamp | None = Field(default=None, description="Registered before this time.")
    registered_after: Timestamp | None = Field(default=None, description="Registered after this time.")

    def stored(self) -> dict[str, Any]:
        """As stored with the mailing (JSON), without the filters not given."""
        return self.model_dump(mode="json", exclude_none=True)


class MailingCreate(BaseModel):
    """A mailing: what to say, to whom, when (now when `scheduled_at` is absent)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Line(lim.TITLE, min_length=1)] = Field(description="Subject of the e-mail.",
                                                                  examples=["See you Friday"])
    content: Annotated[str, Text(MAILING_CONTENT, min_length=1)] = Field(description="Plain-text body.")
    filters: MailingFilters = Field(default_factory=MailingFilters, description="The audience.")
    scheduled_at: Timestamp | None = Field(default=None, description="When to send (UTC); not in the past.")
    category: Annotated[str, LowerLine(CATEGORY, min_length=1)] = Field(
        default="mailings", description="Opt-out category: users who turned it off never get it.",
        examples=["mailings"])


class AudiencePreview(BaseModel):
    """How many people a mailing with these filters would reach now."""

    audience: int = Field(description="Recipients it would have (opted-out and disabled users excluded).")


class MailingPublic(BaseModel):
    """A mailing and how its delivery is going."""

    id: UUID
    author_id: UUID
    title: str
    content: str
    category: str
    filters: dict[str, Any] = Field(description="The filters it was created with.")
    status: Literal["scheduled", "sending", "completed", "cancelled"]
    scheduled_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    audience: int = Field(description="Recipients: fixed when sending starts; before that, the audience now.")
    sent: int = Field(description="Copies the mail server accepted.")
    failed: int = Field(description="Copies given up on (refused, or failing after retries).")
    pending: int = Field(description="Copies not yet sent.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MailingPublic:
        return cls(id=row["mailing_id"], **{k: row[k] for k in cls.model_fields if k != "id"})
