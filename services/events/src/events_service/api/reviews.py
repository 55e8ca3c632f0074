"""Routes of reviews: attendees review events (/api/v1/events/{id}/reviews), moderators decide (/api/v1/reviews).

Writing and moderating go through the Review aggregate (always current); the list reads the `reviews` read
model (eventually consistent, usually milliseconds behind).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from authkit import Principal
from authkit.deps import CurrentPrincipal, OptionalPrincipal, require
from contracts.permissions import REVIEWS_MODERATE
from webkit.links import link, linked
from webkit.pagination import PageParams, set_page_headers
from webkit.problems import Problem, problem_responses

from events_service.api.deps import AttendanceReader, EventsApp, ReviewsReader
from events_service.api.schemas import ReviewCreate, ReviewDecision, ReviewPublic, ReviewStatus
from events_service.domain import APPROVED

events_router = APIRouter(prefix="/api/v1/events", tags=["reviews"])
router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])

_FROM_REVIEW = {"review_id": "$response.body#/id"}
LINKS_FROM_REVIEW = {
    "ApproveReview": link("post", "/api/v1/reviews/{review_id}/approve", "Approve it (moderators).", **_FROM_REVIEW),
    "RejectReview": link("post", "/api/v1/reviews/{review_id}/reject", "Reject it (moderators).", **_FROM_REVIEW),
}

PROBLEMS = {  # what each problem status means on these routes (webkit.problems)
    401: "Missing, invalid or revoked access token",
    403: "Not allowed for this caller (not an attendee, not a moderator, or one's own review)",
    404: "No such event or review",
    409: "Conflicts with the state: not started yet, cancelled, already reviewed or decided",
    422: "Invalid input",
}

Moderator = Annotated[Principal, Depends(require(REVIEWS_MODERATE))]


@events_router.post("/{event_id}/reviews", status_code=201, response_model=ReviewPublic,
                    responses=problem_responses(401, 403, 404, 409, 422, descriptions=PROBLEMS),
                    openapi_extra=linked(201, **LINKS_FROM_REVIEW))
def submit_review(event_id: UUID, body: ReviewCreate, events: EventsApp, attendance: AttendanceReader,
                  author: CurrentPrincipal) -> ReviewPublic:
    """Review an event you attended (a confirmed booking), once it has started; one review each, `pending`
    until a moderator decides. Not an attendee: 403; not started, cancelled or already reviewed: 409."""
    attended = attendance.confirmed(event_id, author.user_id)
    review = events.submit_review(event_id, author_id=author.user_id, rating=body.rating, comment=body.comment,
                                  attended=attended)
    return ReviewPublic.from_aggregate(review)


@events_router.get("/{event_id}/reviews", response_model=list[ReviewPublic],
                   responses=problem_responses(401, 403, 404, 422, descriptions=PROBLEMS))
def list_reviews(
    event_id: UUID, request: Request, response: Response, events: EventsApp, reviews: ReviewsReader,
    page: PageParams, principal: OptionalPrincipal,
    status: Annotated[ReviewStatus | None, Query(description="Which reviews: `approved` (default, public); "
                                                 "`pending` or `rejected` for support and admins.")] = None,
) -> list[ReviewPublic]:
    """An event's reviews, newest first. Paged via `limit`/`offset`, `X-Total-Count`, `Link`."""
    moderator = principal is not None and principal.can(REVIEWS_MODERATE)
    wanted = status or APPROVED
    if wanted != APPROVED and not moderator:
        if principal is None:
            raise Problem(401, "Unauthorized", f"sign in as a moderator to see {wanted} reviews",
                          headers={"WWW-Authenticate": "Bearer"})
        raise Problem(403, "Forbidden", f"only moderators see {wanted} reviews", required_permission=REVIEWS_MODERATE)
    events.get_event(event_id)  # 404 for an unknown event, rather than an empty list
    rows, total = reviews.page(event_id, wanted, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [ReviewPublic.from_row(row, moderator=moderator) for row in rows]


@router.post("/{review_id}/approve", response_model=ReviewPublic,
             responses=problem_responses(401, 403, 404, 409, 422, descriptions=PROBLEMS))
def approve_review(review_id: UUID, events: EventsApp, moderator: Moderator,
                   body: Annotated[ReviewDecision | None, Body()] = None) -> ReviewPublic:
    """Publish a pending review (support, admins); it counts in the event's rating and its author is told."""
    return ReviewPublic.from_aggregate(
        events.approve_review(review_id, moderator_id=moderator.user_id, reason=body.reason if body else None))


@router.post("/{review_id}/reject", response_model=ReviewPublic,
             responses=problem_responses(401, 403, 404, 409, 422, descriptions=PROBLEMS))
def reject_review(review_id: UUID, events: EventsApp, moderator: Moderator,
                  body: Annotated[ReviewDecision | None, Body()] = None) -> ReviewPublic:
    """Keep a pending review hidden (support, admins); its author is told, with the reason if one is given."""
    return ReviewPublic.from_aggregate(
        events.reject_review(review_id, moderator_id=moderator.user_id, reason=body.reason if body else None))
