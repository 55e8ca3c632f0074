"""Request and response bodies of /api/v1/support (types only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from webkit.fields import Text

from notifications_service.domain.support import MAX_CONTENT, SupportThread


class SupportMessageCreate(BaseModel):
    """A message to support (or a reply from support)."""

    model_config = ConfigDict(extra="forbid")

    content: Annotated[str, Text(MAX_CONTENT, min_length=1)] = Field(description="What to say (not blank).",
                                                                     examples=["My ticket did not arrive."])


class SupportAssign(BaseModel):
    """Who handles the thread: a support agent or an admin."""

    model_config = ConfigDict(extra="forbid")

    assignee_id: UUID = Field(description="User id of a support agent or admin.")


class SupportMessagePublic(BaseModel):
    """One message of a thread."""

    id: UUID
    author_id: UUID
    author: Literal["user", "support"] = Field(description="user: the thread's owner; support: an agent.")
    content: str
    posted_at: datetime


class SupportThreadSummary(BaseModel):
    """A thread in a list."""

    id: UUID
    user_id: UUID = Field(description="The user who opened it.")
    status: Literal["open", "closed"]
    assignee_id: UUID | None
    message_count: int
    created_at: datetime
    last_message_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SupportThreadSummary:
        return cls(id=row["thread_id"], **{k: row[k] for k in cls.model_fields if k != "id"})


class SupportThreadPublic(BaseModel):
    """A thread with all its messages, oldest first."""

    id: UUID
    user_id: UUID
    status: Literal["open", "closed"]
    assignee_id: UUID | None
    created_at: datetime
    messages: list[SupportMessagePublic]

    @classmethod
    def from_aggregate(cls, thread: SupportThread) -> SupportThreadPublic:
        return cls(id=thread.id, user_id=thread.user_id, status=thread.status, assignee_id=thread.assignee_id,
                   created_at=thread.created_on,
                   messages=[SupportMessagePublic(**m) for m in thread.messages])
