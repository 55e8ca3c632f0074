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
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Uuid,
)

from contracts import Envelope, topics
from contracts.events import ReviewApproved, ReviewDecision, ReviewRejected, ReviewSubmitted
from spine.views import Rows, View

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

    def __init__(self, topic: str = topics.EVENTS):
        # Tests feed it from a throwaway topic; production reads events.v1.
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's reviews read once and changed in order; approvals add to their event's totals."""
        messages: list[tuple[Envelope, Any, str]] = []
        for envelope in envelopes:
            if envelope.version != 1:
                continue
            if envelope.type == ReviewSubmitted.message_type:  # type: ignore[attr-defined]
                messages.append((envelope, ReviewSubmitted.model_validate(envelope.payload), PENDING))
            elif envelope.type in _DECISIONS:
                model, status = _DECISIONS[envelope.type]
                messages.append((envelope, model.model_validate(envelope.payload), status))
        rows = Rows(cur, reviews, [m.review_id for _, m, _ in messages])
        approved: list[tuple[Any, int]] = []  # (event id, rating) of each review approved now
        for envelope, m, status in messages:
            if isinstance(m, ReviewSubmitted):
                rows.insert(m.review_id, {"event_id": m.event_id, "author_id": m.author_id, "rating": m.rating,
                                          "comment": m.comment, "status": PENDING, "submitted_at": m.submitted_at,
                                          "version": envelope.aggregate_version})
                continue
            row = rows.get(m.review_id)
            if row is None or row["status"] != PENDING:
                continue  # decided already (a redelivery), or not known here
            rows.update(m.review_id, {"status": status, "moderator_id": m.moderator_id, "reason": m.reason,
                                      "decided_at": m.decided_at, "version": envelope.aggregate_version})
            if status == "approved":
                approved.append((row["event_id"], int(row["rating"])))
        rows.write(cur)
        totals = Rows(cur, event_ratings, [event_id for event_id, _ in approved])
        for event_id, rating in approved:
            totals.insert(event_id, {"rating_count": 0, "rating_sum": 0})
            total = totals.get(event_id)
            assert total is not None
            totals.update(event_id, {"rating_count": total["rating_count"] + 1,
                                     "rating_sum": total["rating_sum"] + rating})
        totals.write(cur)
