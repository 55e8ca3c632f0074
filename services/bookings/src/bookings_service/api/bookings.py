"""Routes of /api/v1/bookings: book seats, read bookings, list them, cancel."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request, Response

from authkit.deps import CurrentPrincipal
from spine import context
from webkit.consistency import AfterParam, position_response, read_after, set_event_position, stale_response
from webkit.links import link, linked
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import problem_responses

from bookings_service.api.deps import Services, actor_of
from bookings_service.api.schemas import BookingCreate, BookingPublic, Status
from bookings_service.intake import Ask, keyed_booking_id
from bookings_service.projections.bookings_query import BookingFilters

router = APIRouter(prefix="/api/v1/bookings", tags=["bookings"])

# OpenAPI links: the flows a client (and the stateful fuzzer) follows from one response to the next request.
_BOOKING = "/api/v1/bookings/{booking_id}"
_FROM_BOOKING = {"booking_id": "$response.body#/id"}
LINKS_FROM_BOOKING = {
    "GetBooking": link("get", _BOOKING, "Poll the booking until the saga settles it.", **_FROM_BOOKING),
    "CancelBooking": link("post", _BOOKING + "/cancel", "Cancel the booking.", **_FROM_BOOKING),
}

PROBLEMS = {  # what each problem status means on these routes (webkit.problems)
    401: "Missing, invalid or revoked access token",
    403: "Not allowed for this caller",
    404: "No such booking or event",
    409: "Conflicts with the event's or the booking's state",
    422: "Invalid input or a broken business rule",
    429: "Too many booking requests from this user (retry after `Retry-After` seconds), or too "
         "many unpaid bookings for this account (max_pending_payments_per_user)",
    503: "The database is briefly unavailable (e.g. restarting): nothing was booked; retry after "
         "`Retry-After` seconds with the same Idempotency-Key",
}


def _responses(*statuses: int) -> dict:
    return problem_responses(*statuses, descriptions=PROBLEMS)


@router.post("/", status_code=202, response_model=BookingPublic,
             responses={**position_response(202), **_responses(401, 404, 409, 422, 429, 503)},
             openapi_extra=linked(202, **LINKS_FROM_BOOKING))
async def create_booking(body: BookingCreate, services: Services, principal: CurrentPrincipal,
                         request: Request, response: Response) -> BookingPublic:
    """Ask for seats. 202: the saga runs on (pending → confirmed / awaiting_payment / waitlisted); poll the
    booking. Supports `Idempotency-Key`: a retried request gives the same booking. Each user may ask at a
    limited rate (settings `BOOKINGS_RATE_PER_MINUTE`, `BOOKINGS_RATE_BURST`); beyond it, 429. Per-account
    limits: 409 `TooManySeatsForUser`, 429 `TooManyPendingPayments`; a full line: 409 `WaitlistFull`."""
    # The process's single writer takes the rate-limit token, reads the event's terms and saves the booking,
    # together with the other requests waiting at that moment (one transaction); the answer comes after COMMIT.
    # With an Idempotency-Key the booking's id follows from (user, key): a retry whose first attempt committed
    # but never got its answer stored (a 503 after COMMIT) finds that booking instead of making a second one.
    key = request.headers.get("idempotency-key")
    booking = await services.intake.request(Ask(
        booking_id=keyed_booking_id(principal.user_id, key) if key else uuid4(), user_id=principal.user_id,
        event_id=body.event_id, group_size=body.group_size, payment_method=body.payment_method,
        cause=context.current().as_dict(), keyed=bool(key)))
    response.headers["Location"] = f"{router.prefix}/{booking.id}"
    set_event_position(response, booking)
    # A booking that just joined the line knows its place (the join answered it in the same save): no
    # second load of the whole waitlist per request, which in a rush is most requests.
    return BookingPublic.from_aggregate(booking, booking.waitlisted_position)


@router.get("/", response_model=list[BookingPublic], responses={**stale_response(), **_responses(401, 422)})
def list_bookings(
    request: Request, response: Response, services: Services, principal: CurrentPrincipal, page: PageParams,
    after: AfterParam,
    event_id: Annotated[UUID | None, Query(description="One event's bookings: all of them for its organizer and "
                                           "bookings:read_all, your own for anyone else.")] = None,
    status: Annotated[Status | None, Query(description="Only bookings in this status.")] = None,
) -> list[BookingPublic]:
    """Your bookings (of one event with `event_id`); or, for an event's organizer and staff, all of one event's
    bookings. Waitlisted ones come last, in queue order. Paged via `limit`/`offset`, `X-Total-Count`, `Link`."""
    if event_id is None:
        filters = BookingFilters(user_id=principal.user_id, status=status)
    elif actor_of(principal).may_read_all or services.terms.organizer_of(event_id) == principal.user_id:
        filters = BookingFilters(event_id=event_id, status=status)
    else:
        filters = BookingFilters(user_id=principal.user_id, event_id=event_id, status=status)
    read_after(response, after, services.query.pool, "bookings_view", recorder=services.bookings.recorder)
    rows, total = services.query.search(filters, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [BookingPublic.from_row(row) for row in rows]


@router.get("/{booking_id}", response_model=BookingPublic, responses=_responses(401, 403, 404, 422))
def get_booking(booking_id: UUID, services: Services, principal: CurrentPrincipal) -> BookingPublic:
    """One booking, current to its last step (owner, the event's organizer, staff)."""
    app = services.bookings
    booking = app.get_booking(booking_id)
    booking.check_may_view(actor_of(principal), services.terms.organizer_of(booking.event_id))
    return BookingPublic.from_aggregate(booking, app.waitlist_position(booking))


@router.post("/{booking_id}/cancel", response_model=BookingPublic,
             responses={**position_response(200), **_responses(401, 403, 404, 409, 422)},
             openapi_extra=linked(200, GetBooking=LINKS_FROM_BOOKING["GetBooking"]))
def cancel_booking(booking_id: UUID, services: Services, principal: CurrentPrincipal,
                   response: Response) -> BookingPublic:
    """Cancel a booking (owner or admin): seats and money go back; a waitlisted booking leaves the line.
    The owner may cancel a confirmed booking until `cancellation_deadline_hours` before the start (then 409 with
    `cancellation_deadline`) and gets the price back less `refund_fee_percent`; an admin's cancellation is
    not bound by the deadline and refunds in full."""
    booking = services.bookings.cancel_booking(booking_id, actor_of(principal), rules=services.rules.current(),
                                               starts_at=services.terms.start_of)
    set_event_position(response, booking)
    return BookingPublic.from_aggregate(booking)
