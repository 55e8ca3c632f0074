"""Response bodies of /api/v1/notifications (types only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class NotificationPublic(BaseModel):
    """One notification in the user's inbox (an e-mail or an in-app message)."""

    id: UUID = Field(description="The notification's id.")
    kind: str = Field(description="What it is about, e.g. booking_confirmed.", examples=["booking_confirmed"])
    category: str = Field(description="account | booking | payment | mailings | reviews | support.")
    channel: Literal["email", "in_app"] = Field(description="How it reached the user.")
    status: Literal["pending", "sent", "delivered", "failed"] = Field(
        description="pending (not sent yet), sent (e-mail accepted by the mail server), delivered (in-app), "
                    "failed (gave up after retries).")
    subject: str | None = Field(description="Subject line (null until rendered, a moment after it is created).")
    body: str | None = Field(description="Plain-text body.")
    read: bool = Field(description="Whether the user marked it read.")
    created_at: datetime = Field(description="When it was created (UTC).")
    sent_at: datetime | None = Field(default=None, description="When the e-mail was accepted / the message shown.")
    read_at: datetime | None = Field(default=None, description="When it was marked read.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NotificationPublic:
        return cls(id=row["notification_id"], kind=row["kind"], category=row["category"], channel=row["channel"],
                   status=row["status"], subject=row["subject"], body=row["body"], read=row["read_at"] is not None,
                   created_at=row["created_at"], sent_at=row["sent_at"], read_at=row["read_at"])


class PreferencesPublic(BaseModel):
    """Which categories of messages you get by e-mail (transactional ones are always on)."""

    account: Literal[True] = Field(default=True, description="Account messages (welcome...): always on.")
    booking: Literal[True] = Field(default=True, description="Your bookings and their events: always on.")
    payment: Literal[True] = Field(default=True, description="Payments and refunds: always on.")
    mailings: bool = Field(description="Mailings from organizers and the platform.")
    reviews: bool = Field(description="Moderation of your reviews.")
    support: bool = Field(description="Replies from support (e-mail; they stay in your inbox either way).")


class PreferencesUpdate(BaseModel):
    """Turn optional categories on (true) or off (false); omitted ones stay as they are.

    Transactional categories (account, booking, payment) may be sent as true; false is a 422.
    """

    model_config = {"extra": "forbid"}

    account: bool | None = Field(default=None, description="Always on: only true is accepted.")
    booking: bool | None = Field(default=None, description="Always on: only true is accepted.")
    payment: bool | None = Field(default=None, description="Always on: only true is accepted.")
    mailings: bool | None = Field(default=None, examples=[False])
    reviews: bool | None = None
    support: bool | None = None
