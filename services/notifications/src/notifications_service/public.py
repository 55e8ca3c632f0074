"""Internal support-thread events → public `notifications.v1` messages (contracts.support), keyed by thread id.

The only module that knows both languages. SupportRequester's events (which thread is open) stay internal.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts.support import (
    SupportMessagePosted,
    SupportReplied,
    SupportThreadAssigned,
    SupportThreadClosed,
    SupportThreadReopened,
)

from notifications_service.domain.support import SupportThread


@singledispatch
def to_public(domain_event: Any) -> BaseModel | None:
    """The public payload for an internal event, or None when it is not published."""
    return None


@to_public.register
def _posted(e: SupportThread.MessagePosted) -> SupportMessagePosted:  # type: ignore[name-defined]
    return SupportMessagePosted(thread_id=e.originator_id, message_id=e.message_id, user_id=e.user_id,
                                content=e.content, posted_at=e.posted_at, thread_opened=e.opened)


@to_public.register
def _replied(e: SupportThread.Replied) -> SupportReplied:  # type: ignore[name-defined]
    return SupportReplied(thread_id=e.originator_id, message_id=e.message_id, user_id=e.user_id,
                          author_id=e.author_id, content=e.content, replied_at=e.posted_at)


@to_public.register
def _assigned(e: SupportThread.Assigned) -> SupportThreadAssigned:  # type: ignore[name-defined]
    return SupportThreadAssigned(thread_id=e.originator_id, user_id=e.user_id, assignee_id=e.assignee_id,
                                 assigned_by=e.by)


@to_public.register
def _closed(e: SupportThread.Closed) -> SupportThreadClosed:  # type: ignore[name-defined]
    return SupportThreadClosed(thread_id=e.originator_id, user_id=e.user_id, closed_by=e.by)


@to_public.register
def _reopened(e: SupportThread.Reopened) -> SupportThreadReopened:  # type: ignore[name-defined]
    return SupportThreadReopened(thread_id=e.originator_id, user_id=e.user_id, reopened_by=e.by)
