"""Routes of /api/v1/notifications: the caller's own notifications, marking them read, preferences."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from authkit.deps import CurrentPrincipal
from fastapi import APIRouter, Query, Request, Response
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from notifications_service.api.deps import Services
from notifications_service.api.schemas import NotificationPublic

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _not_found(notification_id: UUID) -> Problem:
    # Someone else's notification is "not found" too: its existence is nobody else's business.
    return Problem(404, "NotificationNotFound", f"you have no notification {notification_id}")


@router.get("/", response_model=list[NotificationPublic], responses=problem_responses(401, 422))
def list_notifications(
    request: Request, response: Response, services: Services, principal: CurrentPrincipal, page: PageParams,
    unread: Annotated[bool | None, Query(description="true: only unread; false: only read.")] = None,
) -> list[NotificationPublic]:
    """Your notifications (e-mail and in-app), newest first."""
    rows, total = services.inbox.list(principal.user_id, unread=unread, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [NotificationPublic.from_row(row) for row in rows]


@router.post("/{notification_id}/read", response_model=NotificationPublic,
             responses=problem_responses(401, 404, 422))
def mark_read(notification_id: UUID, services: Services, principal: CurrentPrincipal) -> NotificationPublic:
    """Mark one of your notifications read (again: no change)."""
    row = services.inbox.mark_read(principal.user_id, notification_id)
    if row is None:
        raise _not_found(notification_id)
    return NotificationPublic.from_row(row)
