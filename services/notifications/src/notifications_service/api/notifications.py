"""Routes of /api/v1/notifications: the caller's own notifications, marking them read, preferences."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from authkit.deps import CurrentPrincipal
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from notifications_service.api.deps import Services
from notifications_service.api.schemas import NotificationPublic, PreferencesPublic, PreferencesUpdate
from notifications_service.domain.categories import OPTIONAL, check_opt_outs

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _not_found(notification_id: UUID) -> Problem:
    # Someone else's notification is "not found" too: its existence is nobody else's business.
    return Problem(404, "NotificationNotFound", f"you have no notification {notification_id}")


def _preferences(opted_out: set[str]) -> PreferencesPublic:
    return PreferencesPublic(**{category: category not in opted_out for category in OPTIONAL})


# Declared before /{notification_id}/... so "preferences" is never read as an id.
@router.get("/preferences", response_model=PreferencesPublic, responses=problem_responses(401))
def get_preferences(services: Services, principal: CurrentPrincipal) -> PreferencesPublic:
    """Which categories of e-mail you get."""
    return _preferences(services.preferences.opted_out(principal.user_id))


@router.put("/preferences", response_model=PreferencesPublic, responses=problem_responses(401, 422))
def put_preferences(body: PreferencesUpdate, services: Services, principal: CurrentPrincipal) -> PreferencesPublic:
    """Turn optional categories of e-mail on or off; transactional ones (account, booking, payment) stay on."""
    changes = body.model_dump(exclude_none=True)
    check_opt_outs({category for category, enabled in changes.items() if not enabled})
    changes = {category: enabled for category, enabled in changes.items() if category in OPTIONAL}
    return _preferences(services.preferences.set(principal.user_id, changes))


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
