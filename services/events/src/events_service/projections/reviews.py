"""The `reviews` and `event_ratings` read models, fed from the Review messages on `events.v1`.

`reviews` serves GET /api/v1/events/{id}/reviews; `event_ratings` keeps, per event, how many reviews are
approved and the sum of their stars, so the catalogue shows `rating_avg`/`rating_count` with one primary-key
look-up per page instead of aggregating reviews on every read. Both change in the same transaction, and only
when a review really moves from `pending` to `approved`: a redelivered or re-published approval finds the row
decided already and counts nothing twice. Built only from public messages: drop and replay from offset 0.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from sqlalchemy import (
    BigInteger, Column, DateTime, Index, Integer, MetaData, SmallInteger, Table, Text, Uuid, update,
)
from sqlalchemy.dialects.postgresql import insert

from contracts import Envelope, topics
from contracts.events import ReviewApproved, ReviewDecision, ReviewRejected, ReviewSubmitted
from spine.views import View, run

metadata = MetaData()

reviews = Table(
    "reviews", metadata,
    Column("review_id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("author_id", Uuid, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("comment", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("moderator_id", Uuid),
    Column("reason", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("version", BigInteger, nullable=False),
    Index("reviews_by_event", "event_id", "status", "submitted_at", "review_id"),
)

event_ratings = Table(
    "event_ratings", metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("rating_count", Integer, nullable=False),
    Column("rating_sum", BigInteger, nullable=False),
)

PENDING = "pending"
_DECISIONS: dict[str, tuple[type[ReviewDecision], str]] = {
    "ReviewApproved": (ReviewApproved, "approved"), "ReviewRejected": (ReviewRejected, "rejected")}


class ReviewsProjection(View):
    """Every review with its moderation state, and each event's approved-rating totals."""

    name = "reviews"
    version = 1
    metadata = metadata
    pipelined = False  # a decision reads the review back (RETURNING) before counting it

    def __init__(self, topic: str = topics.EVENTS):
        # Tests feed it from a throwaway topic; production reads events.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.version != 1:
            return
        if envelope.type == ReviewSubmitted.message_type:  # type: ignore[attr-defined]
            self._submitted(cur, envelope)
        elif envelope.type in _DECISIONS:
            self._decided(cur, envelope)

    def _submitted(self, cur: Cursor, envelope: Envelope) -> None:
        e = ReviewSubmitted.model_validate(envelope.payload)
        run(cur, insert(reviews).values(
            review_id=e.review_id, event_id=e.event_id, author_id=e.author_id, rating=e.rating, comment=e.comment,
            status=PENDING, submitted_at=e.submitted_at, version=envelope.aggregate_version,
        ).on_conflict_do_nothing(index_elements=[reviews.c.review_id]))

    def _decided(self, cur: Cursor, envelope: Envelope) -> None:
        model, status = _DECISIONS[envelope.type]
        e = model.model_validate(envelope.payload)
        decided = run(cur, update(reviews).where(reviews.c.review_id == e.review_id, reviews.c.status == PENDING)
                          .values(status=status, moderator_id=e.moderator_id, reason=e.reason,
                                  decided_at=e.decided_at, version=envelope.aggregate_version)
                          .returning(reviews.c.event_id, reviews.c.rating)).fetchone()
        if decided is not None and status == "approved":
            self._count(cur, _at(decided, 0), int(_at(decided, 1)))

    @staticmethod
    def _count(cur: Cursor, event_id: Any, rating: int) -> None:
        add = insert(event_ratings).values(event_id=event_id, rating_count=1, rating_sum=rating)
        run(cur, add.on_conflict_do_update(
            index_elements=[event_ratings.c.event_id],
            set_={"rating_count": event_ratings.c.rating_count + 1,
                  "rating_sum": event_ratings.c.rating_sum + add.excluded.rating_sum}))


def _at(row: Any, index: int) -> Any:
    return list(row.values())[index] if isinstance(row, dict) else row[index]
