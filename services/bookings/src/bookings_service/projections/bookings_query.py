"""Queries on `bookings_view` (and the catalogue replica): the API's lists and the worker's sweeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

LIVE_STATUSES = ("pending", "awaiting_payment", "confirmed", "waitlisted")

# Waitlisted bookings carry their place among the event's waitlisted bookings; they come after the
# others, in queue order.
LIST_SQL = """
WITH scoped AS (
    SELECT b.*, count(*) OVER () AS total FROM bookings_view b WHERE {where}
)
SELECT s.*, q.waitlist_position FROM scoped s
LEFT JOIN LATERAL (
    SELECT count(*) AS waitlist_position FROM bookings_view w
    WHERE s.status = 'waitlisted' AND w.event_id = s.event_id AND w.status = 'waitlisted'
      AND (w.waitlisted_at, w.booking_id) <= (s.waitlisted_at, s.booking_id)
) q ON s.status = 'waitlisted'
ORDER BY (s.status = 'waitlisted'), CASE WHEN s.status = 'waitlisted' THEN s.waitlisted_at ELSE s.created_at END,
         s.booking_id
LIMIT %(limit)s OFFSET %(offset)s
"""


@dataclass(frozen=True)
class BookingFilters:
    """Which bookings a list shows: one user's, or one event's; optionally one status."""

    user_id: UUID | None = None
    event_id: UUID | None = None
    status: str | None = None


class BookingsQuery:
    """Read side of the bookings service."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def search(self, filters: BookingFilters, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of bookings and how many match in all."""
        clauses, params = ["TRUE"], {"limit": limit, "offset": offset}
        for column in ("user_id", "event_id", "status"):
            value = getattr(filters, column)
            if value is not None:
                clauses.append(f"b.{column} = %({column})s")
                params[column] = value
        with self.pool.connection() as conn:
            rows = conn.execute(LIST_SQL.format(where=" AND ".join(clauses)), params).fetchall()
            if rows:
                return [dict(r) for r in rows], rows[0]["total"]
            count = conn.execute(f"SELECT count(*) AS n FROM bookings_view b WHERE {' AND '.join(clauses)}",
                                 params).fetchone()
        return [], count["n"]

    def overdue_holds(self, now: datetime, limit: int = 500) -> list[UUID]:
        """Bookings whose payment hold lapsed, as far as the view knows (the aggregate re-checks)."""
        return self._ids("SELECT booking_id FROM bookings_view WHERE status = 'awaiting_payment'"
                         " AND expires_at <= %s ORDER BY expires_at LIMIT %s", (now, limit))

    def pending_since(self, before: datetime, limit: int = 500) -> list[UUID]:
        """Bookings pending (asking the Event for seats) since before `before`, as far as the view knows."""
        return self._ids("SELECT booking_id FROM bookings_view WHERE status = 'pending' AND updated_at <= %s"
                         " ORDER BY updated_at LIMIT %s", (before, limit))

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        """Bookings of an event not yet in a final status."""
        return self._ids("SELECT booking_id FROM bookings_view WHERE event_id = %s AND status = ANY(%s)",
                         (event_id, list(LIVE_STATUSES)))

    def live_in_cancelled_events(self, limit: int = 500) -> list[UUID]:
        """Live bookings of events the catalogue shows as cancelled (missed by the cascade, e.g. view lag)."""
        return self._ids("SELECT b.booking_id FROM bookings_view b JOIN catalogue_replica c USING (event_id)"
                         " WHERE c.status = 'cancelled' AND b.status = ANY(%s) LIMIT %s",
                         (list(LIVE_STATUSES), limit))

    def events_with_waiting(self, limit: int = 100) -> list[tuple[UUID, int, int]]:
        """(event id, seats available, catalogue version) of scheduled events that have free seats and a line."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT c.event_id, c.seats_available, c.version FROM catalogue_replica c"
                " WHERE c.status = 'scheduled' AND c.seats_available > 0 AND EXISTS (SELECT 1 FROM bookings_view b"
                " WHERE b.event_id = c.event_id AND b.status = 'waitlisted') LIMIT %s", (limit,)).fetchall()
        return [(r["event_id"], r["seats_available"], r["version"]) for r in rows]

    def _ids(self, query: str, params: tuple[Any, ...]) -> list[UUID]:
        with self.pool.connection() as conn:
            return [next(iter(r.values())) for r in conn.execute(query, params).fetchall()]
