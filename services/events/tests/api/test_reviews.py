"""Reviews over HTTP on real PostgreSQL, per role: attendee, non-attendee, organizer, support, admin, anonymous.

"Attended" comes from the attendance view, fed here with the bookings.v1 messages the bookings service
publishes (as the worker's projector would). "Started" uses an event stored with an injected clock (the
API refuses a start in the past), as the other tests of started events do.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from uuid import UUID, uuid4

import pytest

from authkit.testing import Caller, caller
from contracts import limits as lim
from contracts import wrap
from contracts.bookings import BookingCancelled, BookingConfirmed, BookingRequested
from webkit.testing import assert_problem as problem

from events_service import domain
from events_service.domain import Event, EventDetails, Review
from events_service.testing import feed_catalogue, feed_reviews, record_bookings

pytestmark = pytest.mark.api

EVENTS = "/api/v1/events/"
GOOD = {"rating": 4, "comment": "Great talks, too little pizza."}


@pytest.fixture
def app(client):
    return client.app.state.container.events


@pytest.fixture
def conninfo(settings) -> str:
    return settings.conninfo(settings.database)


@pytest.fixture
def feed(app, conninfo):
    """Publish everything stored so far to the reviews/ratings and catalogue views (relay + projector)."""
    def run() -> None:
        feed_reviews(app, conninfo)
        feed_catalogue(app, conninfo)
    return run


def started_event(app, organizer: Caller, *, ago: timedelta = timedelta(hours=1)) -> UUID:
    """An event that began `ago`, stored as if scheduled the day before (the API refuses past starts)."""
    start = datetime.now(UTC) - ago
    details = EventDetails(title="Held meetup", start_time=start, duration_minutes=60, max_participants=50)
    event = Event.schedule(details, created_by=organizer.user_id, now=start - timedelta(days=1))
    app.save(event)
    return event.id


def future_event(client, organizer: Caller) -> UUID:
    body = {"title": "Next week", "start_time": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "duration_minutes": 60, "max_participants": 50}
    response = client.post(EVENTS, json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def booking(conninfo: str, who: Caller, event_id: UUID, *, cancelled: bool = False, confirmed: bool = True) -> UUID:
    """The bookings.v1 history of one booking of `who` for the event, applied to the attendance view."""
    booking_id = uuid4()
    ref = {"booking_id": booking_id, "event_id": event_id, "user_id": who.user_id}
    history = [BookingRequested(**ref, group_size=2, requested_at=datetime.now(UTC))]
    if confirmed:
        history.append(BookingConfirmed(**ref, group_size=2))
    if cancelled:
        history.append(BookingCancelled(**ref, reason="user"))
    record_bookings(conninfo, *(wrap(m, aggregate_id=str(booking_id), aggregate_version=v)
                                for v, m in enumerate(history, start=1)))
    return booking_id


def review(client, event_id: UUID, who: Caller | None, body: dict | None = None):
    return client.post(f"{EVENTS}{event_id}/reviews", json=GOOD if body is None else body,
                       headers=who.headers if who else {})


def listed(client, event_id: UUID, who: Caller | None = None, **params):
    return client.get(f"{EVENTS}{event_id}/reviews", params=params, headers=who.headers if who else {})


def decide(client, review_id: str, verdict: str, who: Caller | None, reason: str | None = None):
    return client.post(f"/api/v1/reviews/{review_id}/{verdict}", json={"reason": reason} if reason else None,
                       headers=who.headers if who else {})


def stored_reviews(app, event_id: UUID, *people: Caller) -> list[Review]:
    found = []
    for person in people:
        try:
            found.append(app.get_review(Review.id_for(event_id, person.user_id)))
        except domain.ReviewNotFound:
            pass
    return found


# --- writing -------------------------------------------------------------------------------------------

def test_an_attendee_reviews_a_started_event_once_and_it_waits_for_moderation(client, app, conninfo, organizer,
                                                                             participant):
    event_id = started_event(app, organizer)
    booking(conninfo, participant, event_id)

    response = review(client, event_id, participant, {"rating": 5, "comment": "  Loved it  "})

    assert response.status_code == 201, response.text
    written = response.json()
    assert (written["event_id"], written["author_id"], written["rating"], written["comment"], written["status"]) == (
        str(event_id), str(participant.user_id), 5, "Loved it", "pending")
    assert (written["moderator_id"], written["moderated_at"], written["reason"]) == (None, None, None)
    assert written["id"] == str(Review.id_for(event_id, participant.user_id))
    again = problem(review(client, event_id, participant, {"rating": 1, "comment": "Changed my mind"}), 409,
                    "ReviewAlreadySubmitted")
    assert "already reviewed" in again["detail"]
    assert app.get_review(UUID(written["id"])).rating == 5


def test_a_retry_with_the_same_idempotency_key_replays_the_201_instead_of_409(client, app, conninfo, organizer,
                                                                           participant):
    event_id = started_event(app, organizer)
    booking(conninfo, participant, event_id)
    headers = {**participant.headers, "Idempotency-Key": f"review-{uuid4()}"}
    url = f"{EVENTS}{event_id}/reviews"
    first = client.post(url, json=GOOD, headers=headers)
    retry = client.post(url, json=GOOD, headers=headers)
    assert (first.status_code, retry.status_code, retry.json()) == (201, 201, first.json())
    problem(client.post(url, json=GOOD, headers=participant.headers), 409, "ReviewAlreadySubmitted")


def test_people_without_a_confirmed_booking_may_not_review(client, app, conninfo, issuer, organizer, support, admin,
                                                           participant):
    event_id = started_event(app, organizer)
    waiting, left = caller(issuer, "participant"), caller(issuer, "participant")
    booking(conninfo, waiting, event_id, confirmed=False)
    booking(conninfo, left, event_id, cancelled=True)
    booking(conninfo, participant, uuid4())  # confirmed, but for another event

    for stranger in (participant, waiting, left, organizer, support, admin):
        problem(review(client, event_id, stranger), 403, "NotAnAttendee")
    problem(review(client, event_id, None), 401)
    assert stored_reviews(app, event_id, participant, waiting, left, organizer, support, admin) == []


def test_staff_who_attended_may_review_like_anyone(client, app, conninfo, organizer, support, admin):
    event_id = started_event(app, organizer)
    for attendee in (organizer, support, admin):
        booking(conninfo, attendee, event_id)
        assert review(client, event_id, attendee).status_code == 201


def test_an_event_is_not_reviewed_before_it_starts(client, app, conninfo, organizer, participant):
    event_id = future_event(client, organizer)
    booking(conninfo, participant, event_id)
    body = problem(review(client, event_id, participant), 409, "EventNotStartedYet")
    assert "starts at" in body["detail"]
    assert stored_reviews(app, event_id, participant) == []


def test_a_cancelled_event_is_not_reviewed(client, app, conninfo, organizer, admin, participant):
    event_id = started_event(app, organizer)
    booking(conninfo, participant, event_id)
    assert client.post(f"{EVENTS}{event_id}/cancel", headers=admin.headers).status_code == 200
    problem(review(client, event_id, participant), 409, "EventAlreadyCancelled")


def test_reviewing_an_unknown_event_is_404(client, participant):
    problem(review(client, uuid4(), participant), 404, "EventNotFound")
    problem(listed(client, uuid4()), 404, "EventNotFound")


@pytest.mark.parametrize("body", [
    {"rating": 0, "comment": "ok"}, {"rating": 6, "comment": "ok"}, {"rating": -3, "comment": "ok"},
    {"rating": 4.5, "comment": "ok"}, {"rating": "5", "comment": "ok"}, {"rating": True, "comment": "ok"},
    {"rating": None, "comment": "ok"}, {"comment": "no rating"}, {"rating": 3},
    {"rating": 3, "comment": ""}, {"rating": 3, "comment": "   \n "}, {"rating": 3, "comment": None},
    {"rating": 3, "comment": "x" * (lim.REVIEW_COMMENT + 1)}, {"rating": 3, "comment": "nul \x00 byte"},
])
def test_bad_input_gets_422_and_changes_nothing(client, app, conninfo, organizer, participant, body):
    event_id = started_event(app, organizer)
    booking(conninfo, participant, event_id)
    problem(review(client, event_id, participant, body), 422)
    assert stored_reviews(app, event_id, participant) == []
    assert review(client, event_id, participant).status_code == 201  # the refused attempt used up nothing


def test_the_longest_comment_is_accepted(client, app, conninfo, organizer, participant):
    event_id = started_event(app, organizer)
    booking(conninfo, participant, event_id)
    response = review(client, event_id, participant, {"rating": 3, "comment": "ü" * lim.REVIEW_COMMENT})
    assert response.status_code == 201 and len(response.json()["comment"]) == lim.REVIEW_COMMENT


def test_two_racing_first_reviews_by_one_user_store_exactly_one(app, conninfo, organizer, participant):
    event_id = started_event(app, organizer)
    start = Barrier(2)

    def submit(rating: int) -> str:
        start.wait()
        try:
            app.submit_review(event_id, author_id=participant.user_id, rating=rating, comment="Race", attended=True)
            return "stored"
        except domain.ReviewAlreadySubmitted:
            return "409"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(submit, (2, 5)))
    assert outcomes == ["409", "stored"]
    assert app.get_review(Review.id_for(event_id, participant.user_id)).version == 1


# --- reading and moderating ------------------------------------------------------------------------------

@pytest.fixture
def reviewed(client, app, conninfo, issuer, organizer) -> tuple[UUID, list[dict], list[Caller]]:
    """A held event with three pending reviews (5, 4 and 1 stars) by three attendees."""
    event_id = started_event(app, organizer)
    authors = [caller(issuer, "participant") for _ in range(3)]
    written = []
    for author, stars in zip(authors, (5, 4, 1), strict=True):
        booking(conninfo, author, event_id)
        response = review(client, event_id, author, {"rating": stars, "comment": f"{stars} stars"})
        assert response.status_code == 201, response.text
        written.append(response.json())
    return event_id, written, authors


def test_only_moderators_approve_or_reject(client, reviewed, organizer, participant):
    _, (first, *_), (author, *_) = reviewed
    for verdict in ("approve", "reject"):
        problem(decide(client, first["id"], verdict, None), 401)
        for who in (participant, organizer, author):
            body = problem(decide(client, first["id"], verdict, who), 403)
            assert body["required_permission"] == "reviews:moderate"
    problem(decide(client, str(uuid4()), "approve", organizer), 403)  # no permission: nothing more is said


def test_support_approves_and_admin_rejects_each_decision_is_final(client, app, reviewed, support, admin):
    event_id, (five, four, one), _ = reviewed

    approved = decide(client, five["id"], "approve", support)
    rejected = decide(client, one["id"], "reject", admin, reason="Personal data in the text")

    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["moderator_id"], approved.json()["reason"]) == (
        "approved", str(support.user_id), None)
    assert approved.json()["moderated_at"] is not None
    assert (rejected.json()["status"], rejected.json()["moderator_id"], rejected.json()["reason"]) == (
        "rejected", str(admin.user_id), "Personal data in the text")
    for review_id in (five["id"], one["id"]):
        for verdict, who in (("approve", admin), ("reject", support)):
            problem(decide(client, review_id, verdict, who), 409, "ReviewAlreadyModerated")
    assert [app.get_review(UUID(r["id"])).status for r in (five, four, one)] == ["approved", "pending", "rejected"]


def test_moderating_unknown_reviews_own_reviews_or_with_an_oversized_reason_is_refused(
        client, app, conninfo, organizer, support, admin, reviewed):
    _, (_, four, _), _ = reviewed
    problem(decide(client, str(uuid4()), "approve", support), 404, "ReviewNotFound")
    problem(decide(client, str(Event.schedule(  # the id of an aggregate that is not a review
        EventDetails(title="x", start_time=datetime.now(UTC) + timedelta(days=1), duration_minutes=1,
                     max_participants=1), created_by=organizer.user_id).id), "reject", admin), 404)
    problem(decide(client, four["id"], "reject", admin, reason="x" * (lim.MODERATION_REASON + 1)), 422)
    assert app.get_review(UUID(four["id"])).status == "pending"

    event_id = started_event(app, organizer)
    booking(conninfo, support, event_id)
    own = review(client, event_id, support).json()
    problem(decide(client, own["id"], "approve", support), 403, "OwnReview")
    assert decide(client, own["id"], "approve", admin).json()["status"] == "approved"


def test_everyone_sees_approved_reviews_and_only_moderators_the_others(client, reviewed, feed, participant,
                                                                       organizer, support, admin):
    event_id, (five, four, one), _ = reviewed
    decide(client, five["id"], "approve", support)
    decide(client, one["id"], "reject", admin, reason="Rude")
    feed()

    for who in (None, participant, organizer, support, admin):
        response = listed(client, event_id, who)
        assert response.status_code == 200
        assert [r["id"] for r in response.json()] == [five["id"]]
        assert response.headers["X-Total-Count"] == "1"
    public = listed(client, event_id).json()[0]
    assert (public["status"], public["rating"], public["moderator_id"], public["reason"]) == (
        "approved", 5, None, None)

    problem(listed(client, event_id, status="pending"), 401)
    for who in (participant, organizer):
        problem(listed(client, event_id, who, status="pending"), 403)
        problem(listed(client, event_id, who, status="rejected"), 403)
    for who in (support, admin):
        assert [r["id"] for r in listed(client, event_id, who, status="pending").json()] == [four["id"]]
        hidden = listed(client, event_id, who, status="rejected").json()
        assert [(r["id"], r["reason"], r["moderator_id"]) for r in hidden] == [(one["id"], "Rude", str(admin.user_id))]
    problem(listed(client, event_id, admin, status="deleted"), 422)


def test_the_review_list_is_paged_newest_first(client, app, conninfo, issuer, organizer, support, feed):
    event_id = started_event(app, organizer)
    ids = []
    for n in range(5):
        author = caller(issuer, "participant")
        booking(conninfo, author, event_id)
        ids.append(review(client, event_id, author, {"rating": 1 + n % 5, "comment": f"Review {n}"}).json()["id"])
    feed()
    first = listed(client, event_id, support, status="pending", limit=2)
    second = listed(client, event_id, support, status="pending", limit=2, offset=2)
    assert first.headers["X-Total-Count"] == "5" and 'rel="next"' in first.headers["Link"]
    assert [r["id"] for r in first.json() + second.json()] == ids[::-1][:4]


def test_the_catalogue_shows_the_rating_over_approved_reviews_only(client, app, reviewed, feed, support, admin):
    event_id, (five, four, one), _ = reviewed
    feed()
    assert (client.get(f"{EVENTS}{event_id}").json()["rating_avg"],
            client.get(f"{EVENTS}{event_id}").json()["rating_count"]) == (None, 0)

    decide(client, five["id"], "approve", support)
    decide(client, four["id"], "approve", admin)
    decide(client, one["id"], "reject", admin)
    feed()
    feed()  # everything delivered again: counted once

    detail = client.get(f"{EVENTS}{event_id}").json()
    in_list = [e for e in client.get(EVENTS, params={"limit": 100, "starts_after": (
        datetime.now(UTC) - timedelta(hours=2)).isoformat()}).json() if e["id"] == str(event_id)]
    assert (detail["rating_avg"], detail["rating_count"]) == (4.5, 2)
    assert [(e["rating_avg"], e["rating_count"]) for e in in_list] == [(4.5, 2)]
