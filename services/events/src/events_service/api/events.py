"""Routes of /api/v1/events: publish, browse, read, edit and cancel events."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts import limits as lim
from contracts.permissions import EVENTS_CREATE
from contracts.vocabulary import EventStatus
from webkit.body_limit import body_limit
from webkit.consistency import AfterParam, position_response, read_after, set_event_position, stale_response
from webkit.fields import Line, Timestamp
from webkit.links import link, linked
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import problem_responses

from events_service.api.deps import (
    CatalogueReader,
    EnabledMethods,
    EventsApp,
    LeaseUseReader,
    ReviewsReader,
    actor_of,
)
from events_service.api.schemas import EventCancel, EventCreate, EventPublic, EventUpdate
from events_service.domain import Event, EventDetails
from events_service.projections.catalogue_query import CatalogueFilters
from events_service.projections.lease_use import LeaseUse
from events_service.projections.reviews_query import Reviews

router = APIRouter(prefix="/api/v1/events", tags=["events"])

# OpenAPI links: the flows a client (and the stateful fuzzer) follows from one response to the next request.
_EVENT = "/api/v1/events/{event_id}"
_FROM_EVENT = {"event_id": "$response.body#/id"}
LINKS_FROM_EVENT = {
    "GetEvent": link("get", _EVENT, "Read the event.", **_FROM_EVENT),
    "UpdateEvent": link("patch", _EVENT, "Change the event's details.", **_FROM_EVENT),
    "CancelEvent": link("post", _EVENT + "/cancel", "Call the event off.", **_FROM_EVENT),
}

PROBLEMS = {  # what each problem status means on these routes (webkit.problems)
    401: "Missing, invalid or revoked access token",
    403: "Not allowed for this caller",
    404: "No such event",
    409: "Conflicts with the event's state",
    422: "Invalid input or a broken business rule",
}


# A description of 10,000 characters may arrive \u-escaped (up to 12 bytes each).
EVENT_BODY_LIMIT = 256 * 1024


@router.post("/", status_code=201, response_model=EventPublic,
             responses={**position_response(201), **problem_responses(401, 403, 422, descriptions=PROBLEMS)},
             openapi_extra={**body_limit(EVENT_BODY_LIMIT), **linked(201, **LINKS_FROM_EVENT)})
def create_event(body: EventCreate, events: EventsApp, response: Response, enabled: EnabledMethods,
                 organizer: Annotated[Principal, Depends(require(EVENTS_CREATE))]) -> EventPublic:
    """Publish a new event (organizers and admins). Supports `Idempotency-Key`.

    `allowed_payment_methods` may name only methods the payments service has switched on (a 422 lists them)."""
    event = events.schedule_event(EventDetails(**body.model_dump()), created_by=organizer.user_id,
                                  enabled_methods=enabled)
    response.headers["Location"] = f"{router.prefix}/{event.id}"
    set_event_position(response, event)
    return EventPublic.from_aggregate(event)


@router.get("/", response_model=list[EventPublic],
            responses={**stale_response(), **problem_responses(422, descriptions=PROBLEMS)})
def list_events(
    request: Request, response: Response, catalogue: CatalogueReader, reviews: ReviewsReader, page: PageParams,
    after: AfterParam, events: EventsApp,
    starts_after: Annotated[Timestamp | None, Query(description="Only events starting at or after this time.")
                            ] = None,
    starts_before: Annotated[Timestamp | None, Query(description="Only events starting before this time.")] = None,
    is_paid: Annotated[bool | None, Query(description="Only paid (true) or free (false) events.")] = None,
    has_seats: Annotated[bool | None, Query(description="Only events with (true) or without (false) free seats.")
                         ] = None,
    tag: Annotated[Annotated[str, Line(lim.TAG)] | None, Query(description="Only events with this tag.")] = None,
    q: Annotated[Annotated[str, Line(lim.QUERY_TEXT)] | None,
                 Query(description="Text in the title or description.")] = None,
    created_by: Annotated[UUID | None, Query(description="Only events of this organizer.")] = None,
    status: Annotated[EventStatus | None, Query(description="Only scheduled or only cancelled events.")] = None,
    include_cancelled: Annotated[bool, Query(description="Also list cancelled events (hidden by default; "
                                             "`status=cancelled` lists only those).")] = False,
) -> list[EventPublic]:
    """Browse the catalogue (public), ordered by start time; cancelled events only with `include_cancelled`
    (or `status=cancelled`). Paged via `limit`/`offset`, `X-Total-Count`, `Link`.
    With `after` (a command's `X-Event-Position`), waits up to 2 s for the list to show that change."""
    read_after(response, after, catalogue.pool, "catalogue", recorder=events.recorder)
    if status is None and not include_cancelled:
        status = EventStatus.SCHEDULED
    filters = CatalogueFilters(starts_after=starts_after, starts_before=starts_before, is_paid=is_paid,
                               has_seats=has_seats, tag=tag, q=q, created_by=created_by, status=status)
    rows, total = catalogue.search(filters, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return rated([EventPublic.from_row(row) for row in rows], reviews)


@router.get("/{event_id}", response_model=EventPublic,
            responses=problem_responses(404, 422, descriptions=PROBLEMS))
def get_event(event_id: UUID, events: EventsApp, reviews: ReviewsReader, lease_use: LeaseUseReader) -> EventPublic:
    """One event, current to the last change (public); its rating from the reviews read model."""
    return rated_one(events.get_event(event_id), reviews, lease_use)


@router.patch("/{event_id}", response_model=EventPublic,
              responses={**position_response(200), **problem_responses(401, 403, 404, 409, 422, descriptions=PROBLEMS)},
              openapi_extra={**body_limit(EVENT_BODY_LIMIT),
                             **linked(200, GetEvent=LINKS_FROM_EVENT["GetEvent"],
                                      CancelEvent=LINKS_FROM_EVENT["CancelEvent"])})
def update_event(event_id: UUID, body: EventUpdate, events: EventsApp, principal: CurrentPrincipal,
                 reviews: ReviewsReader, response: Response, enabled: EnabledMethods,
                 lease_use: LeaseUseReader) -> EventPublic:
    """Change some details of an event (its organizer, or anyone with events:manage_any).

    A payment method added must be switched on (422); an event whose seats are held by bookings cannot
    switch between free and paid (409)."""
    event = events.update_event(event_id, body.changes(), actor=actor_of(principal), enabled_methods=enabled)
    set_event_position(response, event)
    return rated_one(event, reviews, lease_use)


@router.post("/{event_id}/cancel", response_model=EventPublic,
             responses={**position_response(200), **problem_responses(401, 403, 404, 409, 422, descriptions=PROBLEMS)},
             openapi_extra=linked(200, GetEvent=LINKS_FROM_EVENT["GetEvent"]))
def cancel_event(event_id: UUID, events: EventsApp, principal: CurrentPrincipal, reviews: ReviewsReader,
                 response: Response, lease_use: LeaseUseReader,
                 body: Annotated[EventCancel | None, Body()] = None) -> EventPublic:
    """Call an event off (its organizer, or anyone with events:manage_any); its bookings get cancelled."""
    reason = body.reason if body else None
    event = events.cancel_event(event_id, actor=actor_of(principal), reason=reason)
    set_event_position(response, event)
    return rated_one(event, reviews, lease_use)


def rated(events: list[EventPublic], reviews: Reviews) -> list[EventPublic]:
    """The events with `rating_avg`/`rating_count` from the `event_ratings` view: one look-up per page, kept
    out of the catalogue query so the catalogue's own SQL stays as it is."""
    ratings = reviews.ratings(e.id for e in events)
    return [e.rated(ratings.get(e.id)) for e in events]


def rated_one(event: Event, reviews: Reviews, lease_use: LeaseUse) -> EventPublic:
    """One event from the event store, with its rating and, while it has seats out on lease, the leased seats
    bookings hold (only then is the `lease_use` view asked)."""
    in_use = lease_use.in_use(event.id) if event.seats_leased else None
    return EventPublic.from_aggregate(event, in_use).rated(reviews.rating(event.id))
