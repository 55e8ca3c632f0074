"""Routes of /api/v1/mailings: create (now or scheduled), preview the audience, list, read, cancel.

Admins may address anyone; organizers only people booked on their own events (filters.event_id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response

from authkit import Principal
from authkit.deps import require
from contracts.permissions import ADMIN, MAILINGS_MANAGE
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import problem_responses

from notifications_service.api.deps import Services
from notifications_service.api.mailing_schemas import AudiencePreview, MailingCreate, MailingFilters, MailingPublic
from notifications_service.domain.mailing import Sender, check_audience, check_schedule

router = APIRouter(prefix="/api/v1/mailings", tags=["mailings"])

Manager = Annotated[Principal, Depends(require(MAILINGS_MANAGE))]


def _sender(principal: Principal) -> Sender:
    return Sender(user_id=principal.user_id, is_admin=principal.role == ADMIN)


def _own(principal: Principal) -> UUID | None:
    """Whose mailings the caller may see: None for admins (all), else their own."""
    return None if principal.role == ADMIN else principal.user_id


def _check_audience(services: Services, principal: Principal, filters: MailingFilters) -> None:
    organizer = services.mailings.event_organizer(filters.event_id) if filters.event_id else None
    check_audience(_sender(principal), filters.event_id, organizer)


@router.post("/", status_code=201, response_model=MailingPublic, responses=problem_responses(401, 403, 422))
def create_mailing(body: MailingCreate, services: Services, response: Response, principal: Manager
                   ) -> MailingPublic:
    """Schedule a mailing (now when `scheduled_at` is absent); the worker sends it. `Idempotency-Key`."""
    _check_audience(services, principal, body.filters)
    scheduled_at = check_schedule(body.scheduled_at, datetime.now(UTC))
    row = services.mailings.create({
        "mailing_id": uuid4(), "author_id": principal.user_id, "author_role": principal.role, "title": body.title,
        "content": body.content, "category": body.category, "filters": body.filters.stored(),
        "scheduled_at": scheduled_at})
    response.headers["Location"] = f"{router.prefix}/{row['mailing_id']}"
    return MailingPublic.from_row(row)


@router.post("/preview", response_model=AudiencePreview, responses=problem_responses(401, 403, 422))
def preview_mailing(body: MailingCreate, services: Services, principal: Manager) -> AudiencePreview:
    """How many people this mailing would reach now (nothing is stored or sent)."""
    _check_audience(services, principal, body.filters)
    check_schedule(body.scheduled_at, datetime.now(UTC))
    return AudiencePreview(audience=services.mailings.preview(body.filters.stored(), body.category))


@router.get("/", response_model=list[MailingPublic], responses=problem_responses(401, 403, 422))
def list_mailings(request: Request, response: Response, services: Services, principal: Manager, page: PageParams
                  ) -> list[MailingPublic]:
    """Mailings, newest first: admins see all, organizers their own."""
    rows, total = services.mailings.list(_own(principal), limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [MailingPublic.from_row(row) for row in rows]


@router.get("/{mailing_id:uuid}", response_model=MailingPublic, responses=problem_responses(401, 403, 404, 422))
def get_mailing(mailing_id: UUID, services: Services, principal: Manager) -> MailingPublic:
    """A mailing with its delivery counts (audience, sent, failed, pending)."""
    return MailingPublic.from_row(services.mailings.get(mailing_id, author_id=_own(principal)))


@router.post("/{mailing_id:uuid}/cancel", response_model=MailingPublic,
             responses=problem_responses(401, 403, 404, 409, 422))
def cancel_mailing(mailing_id: UUID, services: Services, principal: Manager) -> MailingPublic:
    """Cancel a mailing before it starts sending (409 once it has started)."""
    return MailingPublic.from_row(services.mailings.cancel(mailing_id, author_id=_own(principal)))
