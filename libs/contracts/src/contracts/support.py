"""Support threads: what the notifications service publishes on `notifications.v1` about a user's
conversations with support. Keyed by thread id. The notifications worker itself consumes SupportReplied to
notify the thread's user (in-app and e-mail), like any other triggering event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import limits as lim
from contracts import topics
from contracts.registry import message

SUPPORT_MESSAGE = 4_000  # characters of one message (the request's limit; notifications_service.domain.support)


@message(topics.NOTIFICATIONS)
class SupportMessagePosted(BaseModel):
    """A user wrote to support: the first message opens a thread, later ones continue it."""

    thread_id: UUID = Field(description="The thread.")
    message_id: UUID = Field(description="The message (deterministic per thread and position).")
    user_id: UUID = Field(description="The user who wrote, the thread's owner.")
    content: str = Field(description="What they wrote.", examples=["My ticket did not arrive."],
                         json_schema_extra=lim.text(SUPPORT_MESSAGE))
    posted_at: datetime = Field(description="When (UTC).")
    thread_opened: bool = Field(default=False, description="True when this message started the thread.")


@message(topics.NOTIFICATIONS)
class SupportReplied(BaseModel):
    """A support agent (or admin) answered a thread; its user is notified."""

    thread_id: UUID = Field(description="The thread.")
    message_id: UUID = Field(description="The reply.")
    user_id: UUID = Field(description="The thread's owner (who is notified).")
    author_id: UUID = Field(description="The agent who replied.")
    content: str = Field(description="The reply.", examples=["We have re-sent it; check your inbox."],
                         json_schema_extra=lim.text(SUPPORT_MESSAGE))
    replied_at: datetime = Field(description="When (UTC).")


@message(topics.NOTIFICATIONS)
class SupportThreadAssigned(BaseModel):
    """A thread was handed to a support agent or admin."""

    thread_id: UUID = Field(description="The thread.")
    user_id: UUID = Field(description="The thread's owner.")
    assignee_id: UUID = Field(description="Who handles it now.")
    assigned_by: UUID = Field(description="Who assigned it.")


@message(topics.NOTIFICATIONS)
class SupportThreadClosed(BaseModel):
    """A thread was closed; its user's next message starts a new one."""

    thread_id: UUID = Field(description="The thread.")
    user_id: UUID = Field(description="The thread's owner.")
    closed_by: UUID = Field(description="Who closed it (the user or an agent).")


@message(topics.NOTIFICATIONS)
class SupportThreadReopened(BaseModel):
    """A closed thread was opened again."""

    thread_id: UUID = Field(description="The thread.")
    user_id: UUID = Field(description="The thread's owner.")
    reopened_by: UUID = Field(description="Who reopened it.")
