"""Every rule of the Review aggregate, as attendees and moderators meet them; the clock is injected (`now`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import limits as lim
from contracts import parse_payload
from contracts.events import ReviewApproved, ReviewRejected, ReviewSubmitted

from events_service import domain, public
from events_service.domain import Actor, Event, EventDetails, Review

pytestmark = pytest.mark.unit

START = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
BEFORE, DURING, AFTER = START - timedelta(minutes=1), START, START + timedelta(days=2)
ORGANIZER = Actor(uuid4())
AUTHOR, MODERATOR = uuid4(), uuid4()


def held_event() -> Event:
    details = EventDetails(title="Python meetup", start_time=START, duration_minutes=90, max_participants=30)
    return Event.schedule(details, created_by=ORGANIZER.user_id, now=START - timedelta(days=30))


def review(event: Event | None = None, *, rating: int = 4, comment: str = "Great talks", attended: bool = True,
           now: datetime = AFTER, author=AUTHOR) -> Review:
    return Review.submit(event or held_event(), author_id=author, rating=rating, comment=comment, attended=attended,
                         now=now)


def test_an_attendee_reviews_a_started_event_and_the_review_waits_for_moderation():
    event = held_event()
    written = review(event, comment="  Great talks\n, too little pizza  ", now=DURING)
    assert (written.event_id, written.author_id, written.rating, written.comment, written.status) == (
        event.id, AUTHOR, 4, "Great talks\n, too little pizza", domain.PENDING)
    assert (written.moderator_id, written.reason, written.decided_at) == (None, None, None)


def test_the_review_id_is_the_same_for_the_same_event_and_author_so_there_is_only_one():
    event = held_event()
    assert review(event).id == review(event).id == Review.id_for(event.id, AUTHOR)
    assert review(event, author=uuid4()).id != Review.id_for(event.id, AUTHOR)
    assert Review.id_for(uuid4(), AUTHOR) != Review.id_for(event.id, AUTHOR)


@pytest.mark.parametrize("rating", [0, 6, -1, 100, True, 4.5, "5"])
def test_a_rating_outside_one_to_five_is_refused(rating):
    with pytest.raises(domain.InvalidReview, match="rating"):
        review(rating=rating)


@pytest.mark.parametrize("comment", ["", "   ", "\n\t", "x" * (lim.REVIEW_COMMENT + 1)])
def test_an_empty_or_oversized_comment_is_refused(comment):
    with pytest.raises(domain.InvalidReview, match="comment"):
        review(comment=comment)


def test_the_longest_comment_is_accepted():
    assert len(review(comment="é" * lim.REVIEW_COMMENT).comment) == lim.REVIEW_COMMENT


def test_someone_without_a_confirmed_booking_may_not_review():
    with pytest.raises(domain.NotAnAttendee):
        review(attended=False)


def test_an_event_is_not_reviewed_before_it_starts():
    with pytest.raises(domain.EventNotStartedYet, match="starts at"):
        review(now=BEFORE)
    assert review(now=DURING).status == domain.PENDING


def test_a_cancelled_event_is_not_reviewed():
    event = held_event()
    event.cancel(actor=Actor(uuid4(), may_manage_any=True), now=AFTER)
    with pytest.raises(domain.EventAlreadyCancelled):
        review(event)


def test_attendance_is_checked_before_the_start_so_a_stranger_hears_the_lasting_reason():
    with pytest.raises(domain.NotAnAttendee):
        review(attended=False, now=BEFORE)


def test_a_moderator_approves_once_and_the_decision_is_final():
    written = review()
    written.approve(moderator_id=MODERATOR, reason="  Thanks  ")
    assert (written.status, written.moderator_id, written.reason) == (domain.APPROVED, MODERATOR, "Thanks")
    assert written.decided_at == written.modified_on
    for decide in (written.approve, written.reject):
        with pytest.raises(domain.ReviewAlreadyModerated, match="approved"):
            decide(moderator_id=MODERATOR)
    assert written.status == domain.APPROVED


def test_a_moderator_rejects_with_an_optional_reason():
    written = review()
    written.reject(moderator_id=MODERATOR, reason="Off topic")
    assert (written.status, written.reason) == (domain.REJECTED, "Off topic")
    with pytest.raises(domain.ReviewAlreadyModerated, match="rejected"):
        written.approve(moderator_id=MODERATOR)
    quiet = review(author=uuid4())
    quiet.reject(moderator_id=MODERATOR, reason="   ")
    assert quiet.reason is None


def test_an_oversized_reason_is_refused_and_the_review_stays_pending():
    written = review()
    with pytest.raises(domain.InvalidReview, match="reason"):
        written.reject(moderator_id=MODERATOR, reason="x" * (lim.MODERATION_REASON + 1))
    assert written.status == domain.PENDING


def test_nobody_moderates_their_own_review():
    written = review()
    with pytest.raises(domain.OwnReview):
        written.approve(moderator_id=AUTHOR)
    assert written.status == domain.PENDING


def test_each_review_event_becomes_its_public_message_with_what_the_authors_notification_needs():
    approved, rejected = review(rating=5), review(author=uuid4(), rating=1)
    approved.approve(moderator_id=MODERATOR, reason="Thanks")
    rejected.reject(moderator_id=MODERATOR, reason="Spam")
    submitted, approval = approved.collect_events()
    _, rejection = rejected.collect_events()

    sent = public.to_public(submitted)
    assert isinstance(sent, ReviewSubmitted)
    assert (sent.review_id, sent.event_id, sent.author_id, sent.rating, sent.comment) == (
        approved.id, approved.event_id, AUTHOR, 5, "Great talks")
    yes, no = public.to_public(approval), public.to_public(rejection)
    assert isinstance(yes, ReviewApproved) and isinstance(no, ReviewRejected)
    assert (yes.review_id, yes.event_id, yes.author_id, yes.rating, yes.moderator_id, yes.reason) == (
        approved.id, approved.event_id, AUTHOR, 5, MODERATOR, "Thanks")
    assert (no.author_id, no.rating, no.reason, no.decided_at) == (rejected.author_id, 1, "Spam", rejected.modified_on)
    envelope = public.to_envelope(approval)
    assert (envelope.type, envelope.aggregate_id, envelope.aggregate_version) == ("ReviewApproved", str(approved.id), 2)
    assert parse_payload(envelope) == yes
