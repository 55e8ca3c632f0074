"""Reading the `reviews` and `event_ratings` read models: a page of an event's reviews, and ratings per event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import func, select

from spine.views import run

from events_service.projections.reviews import event_ratings, reviews


@dataclass(frozen=True)
class Rating:
    """An event's approved reviews in two numbers (no reviews: no average)."""

    count: int = 0
    average: float | None = None

    @classmethod
    def of(cls, count: int, total: int) -> Rating:
        return cls(count, round(total / count, 2) if count else None)


class Reviews:
    """Read side of reviews and ratings."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def page(self, event_id: UUID, status: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """An event's reviews in `status`, newest first, and how many there are in all."""
        where = (reviews.c.event_id == event_id, reviews.c.status == status)
        query = (select(reviews).where(*where).order_by(reviews.c.submitted_at.desc(), reviews.c.review_id)
                 .limit(limit).offset(offset))
        with self.pool.connection() as conn:
            total = run(conn, select(func.count().label("n")).select_from(reviews).where(*where)).fetchone()
            rows = run(conn, query).fetchall()
        return rows, int(total["n"])

    def ratings(self, event_ids: Iterable[UUID]) -> dict[UUID, Rating]:
        """Rating per event for the given events (those without approved reviews are left out)."""
        ids = list(event_ids)
        if not ids:
            return {}
        with self.pool.connection() as conn:
            rows = run(conn, select(event_ratings).where(event_ratings.c.event_id.in_(ids))).fetchall()
        return {row["event_id"]: Rating.of(row["rating_count"], row["rating_sum"]) for row in rows}

    def rating(self, event_id: UUID) -> Rating:
        """One event's rating."""
        return self.ratings([event_id]).get(event_id, Rating())
