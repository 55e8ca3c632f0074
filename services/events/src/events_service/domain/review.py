"""The Review aggregate: one attendee's rating and comment of one event, and its moderation.

Who may review is decided here from facts the application gathers: the Event (started? cancelled?) and
whether the author holds a confirmed booking for it (the attendance view built from `bookings.v1`).
Rules, in order: the input itself (rating 1–5, a comment of 1..REVIEW_COMMENT characters after trimming,
422); a cancelled event (409); an author who did not attend (403: it is about who asks, and asking again
does not help); an event that has not started yet (409: it will be reviewable later).

One review per user per event: the id is derived from (event, author), so two racing first submissions
write version 1 of the same stream and the event store lets only one of them in. A review starts
`pending`; a moderator approves or rejects it once (the decision is final) and never their own review.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts import limits as lim

from events_service.domain import errors
from events_service.domain.event import Event

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
MIN_RATING, MAX_RATING = 1, 5


class Review(Aggregate):
    """A rating (1–5 stars) with a comment, written by an attendee, public once approved."""

    # Declared so type checkers see their fields; names (stored topics) and fields are those already stored.
    class Submitted(Aggregate.Created):
        event_id: UUID
        author_id: UUID
        rating: int
        comment: str

    class Approved(Aggregate.Event):
        moderator_id: UUID
        reason: str | None
        event_id: UUID
        author_id: UUID
        rating: int

    class Rejected(Aggregate.Event):
        moderator_id: UUID
        reason: str | None
        event_id: UUID
        author_id: UUID
        rating: int

    @staticmethod
    def create_id(event_id: UUID, author_id: UUID, **_: object) -> UUID:
        return Review.id_for(event_id, author_id)

    @staticmethod
    def id_for(event_id: UUID, author_id: UUID) -> UUID:
        """The one review `author_id` may write about `event_id`."""
        return uuid5(NAMESPACE_URL, f"/events/{event_id}/reviews/{author_id}")

    @classmethod
    def submit(cls, reviewed: Event, *, author_id: UUID, rating: int, comment: str, attended: bool,
               now: datetime | None = None) -> Review:
        """Write a review of `reviewed`, after checking every rule (see the module docstring)."""
        check_rating(rating)
        comment = check_comment(comment)
        check_reviewable(reviewed, attended=attended, now=now or datetime.now(UTC))
        return cls(event_id=reviewed.id, author_id=author_id, rating=rating, comment=comment)

    @event(Submitted)
    def __init__(self, event_id: UUID, author_id: UUID, rating: int, comment: str) -> None:
        self.event_id = event_id
        self.author_id = author_id
        self.rating = rating
        self.comment = comment
        self.status = PENDING
        self.moderator_id: UUID | None = None
        self.reason: str | None = None

    def approve(self, *, moderator_id: UUID, reason: str | None = None) -> None:
        """Make the review public; it counts in the event's rating from now on."""
        self._check_decidable_by(moderator_id)
        self._approved(moderator_id=moderator_id, reason=_reason(reason), event_id=self.event_id,
                       author_id=self.author_id, rating=self.rating)

    def reject(self, *, moderator_id: UUID, reason: str | None = None) -> None:
        """Keep the review hidden; the author is told why (the reason)."""
        self._check_decidable_by(moderator_id)
        self._rejected(moderator_id=moderator_id, reason=_reason(reason), event_id=self.event_id,
                       author_id=self.author_id, rating=self.rating)

    # A decision records the review's event, author and rating too (not only derived), so the public
    # ReviewApproved/Rejected can carry what the author's notification needs: the relay translates one stored
    # event at a time.
    @event(Approved)
    def _approved(self, moderator_id: UUID, reason: str | None, event_id: UUID, author_id: UUID,
                  rating: int) -> None:
        self._decided(APPROVED, moderator_id, reason)

    @event(Rejected)
    def _rejected(self, moderator_id: UUID, reason: str | None, event_id: UUID, author_id: UUID,
                  rating: int) -> None:
        self._decided(REJECTED, moderator_id, reason)

    def _decided(self, status: str, moderator_id: UUID, reason: str | None) -> None:
        self.status = status
        self.moderator_id = moderator_id
        self.reason = reason

    @property
    def decided_at(self) -> datetime | None:
        """When a moderator decided (a decision is the stream's last event), None while pending."""
        return None if self.status == PENDING else self.modified_on

    def _check_decidable_by(self, moderator_id: UUID) -> None:
        self.check_pending()
        self.check_not_author(moderator_id)

    def check_pending(self) -> None:
        """A decision is final: approving or rejecting a decided review (or twice) is refused."""
        if self.status != PENDING:
            raise errors.ReviewAlreadyModerated(f"the review was already {self.status}")

    def check_not_author(self, moderator_id: UUID) -> None:
        """Nobody moderates their own review (a support agent may attend events too)."""
        if moderator_id == self.author_id:
            raise errors.OwnReview("a moderator cannot approve or reject their own review")


def check_rating(rating: int) -> None:
    """Stars are whole numbers from 1 to 5."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not MIN_RATING <= rating <= MAX_RATING:
        raise errors.InvalidReview(f"rating must be a whole number from {MIN_RATING} to {MAX_RATING}, not {rating!r}")


def check_comment(comment: str) -> str:
    """The comment, trimmed: not empty, at most REVIEW_COMMENT characters (what the contract documents)."""
    comment = (comment or "").strip()
    if not comment:
        raise errors.InvalidReview("the comment is empty")
    if len(comment) > lim.REVIEW_COMMENT:
        raise errors.InvalidReview(f"the comment has {len(comment)} characters; at most {lim.REVIEW_COMMENT}")
    return comment


def check_reviewable(reviewed: Event, *, attended: bool, now: datetime) -> None:
    """Only an attendee (a confirmed booking) reviews, only a held event, and only once it has started."""
    if reviewed.cancelled:
        raise errors.EventAlreadyCancelled("the event was cancelled; there is nothing to review")
    if not attended:
        raise errors.NotAnAttendee("only people with a confirmed booking for this event may review it")
    start = reviewed.details.start_time
    if now < start:
        raise errors.EventNotStartedYet(f"the event starts at {start.isoformat()}; review it once it has started")


def _reason(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > lim.MODERATION_REASON:
        raise errors.InvalidReview(f"the reason has {len(reason)} characters; at most {lim.MODERATION_REASON}")
    return reason or None
