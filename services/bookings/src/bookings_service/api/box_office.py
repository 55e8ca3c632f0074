"""Routes of an event's box office, served by bookings from its own views (the gateway routes these two paths of
/api/v1/events/{id}/ here): the attendee list (JSON or CSV) and the sales summary."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from authkit import Principal
from authkit.deps import CurrentPrincipal
from contracts.permissions import BOOKINGS_READ_ALL, EVENTS_MANAGE_ANY
from webkit.consistency import AfterParam, read_after, stale_response
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from bookings_service.api.box_office_schemas import CSV_COLUMNS, AttendeePublic, SalesSummaryPublic, csv_cell
from bookings_service.api.deps import Services
from bookings_service.api.schemas import Status
from bookings_service.domain import EventNotFound
from bookings_service.projections.box_office_query import BoxOfficeQuery

router = APIRouter(prefix="/api/v1/events", tags=["box office"])

CSV_MAX_ROWS = 50_000  # a whole event's list in one file; beyond it, page with limit/offset


def _organizer_or(services: Services, principal: Principal, event_id: UUID, permission: str) -> None:
    """404 for an event the catalogue replica does not know; 403 unless the caller organises it or holds
    `permission`."""
    organizer = services.terms.organizer_of(event_id)
    if organizer is None:
        raise EventNotFound(f"no event with id {event_id}")
    if organizer != principal.user_id and not principal.can(permission):
        raise Problem(403, "Forbidden", f"only the event's organizer or holders of {permission!r} may see this",
                      required_permission=permission)


def _wants_csv(request: Request, format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


# The list's 200 documents both its JSON and its CSV form, beside the stale-view header.
_ATTENDEES_200 = {**stale_response()[200], "description": "The attendees (JSON, or CSV with `format=csv` or "
                                                          "`Accept: text/csv`)",
                  "content": {"text/csv": {"schema": {"type": "string"}}}}


@router.get("/{event_id}/attendees", response_model=list[AttendeePublic],
            responses={200: _ATTENDEES_200, **problem_responses(401, 403, 404, 422)})
def list_attendees(
    event_id: UUID, request: Request, response: Response, services: Services, principal: CurrentPrincipal,
    page: PageParams, after: AfterParam,
    status: Annotated[Status | None, Query(description="Only bookings in this status.")] = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(
        alias="format", description="`csv` exports the list as a CSV file (so does `Accept: text/csv`); the "
                                    "CSV holds the whole list (up to 50 000 rows) unless `limit` or `offset` is "
                                    "given.")] = None,
) -> list[AttendeePublic] | Response:
    """Who booked the event: each booking with the attendee's name and e-mail, group size, status, payment status
    and times, in booking order (the event's organizer, and staff with bookings:read_all). Paged via
    `limit`/`offset`, `X-Total-Count`, `Link`."""
    _organizer_or(services, principal, event_id, BOOKINGS_READ_ALL)
    read_after(response, after, services.query.pool, "bookings_view", recorder=services.bookings.recorder)
    query = BoxOfficeQuery(services.pool)
    if _wants_csv(request, format_):
        whole = "offset" not in request.query_params and "limit" not in request.query_params
        rows, total = query.attendees(event_id, status=status, limit=CSV_MAX_ROWS if whole else page.limit,
                                      offset=page.offset)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(v) for v in AttendeePublic.from_row(row).csv_values()])
        headers = {"X-Total-Count": str(total),
                   "Content-Disposition": f'attachment; filename="attendees-{event_id}.csv"'}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    rows, total = query.attendees(event_id, status=status, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [AttendeePublic.from_row(row) for row in rows]


@router.get("/{event_id}/summary", response_model=SalesSummaryPublic,
            responses={**problem_responses(401, 403, 404, 422)})
def sales_summary(event_id: UUID, services: Services, principal: CurrentPrincipal) -> SalesSummaryPublic:
    """The event's sales: seats confirmed / held / free, the waitlist, revenue per currency and payment method,
    refunds (the event's organizer, and admins with events:manage_any). From views: a few seconds behind."""
    _organizer_or(services, principal, event_id, EVENTS_MANAGE_ANY)
    summary = BoxOfficeQuery(services.pool).summary(event_id)
    if summary is None:
        raise EventNotFound(f"no event with id {event_id}")
    return SalesSummaryPublic.from_summary(event_id, summary)
