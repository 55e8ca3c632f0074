"""Queries on `bookings_view` (and the catalogue replica): the API's lists and the worker's sweeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import and_, any_, case, exists, func, literal, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, TEXT

from spine.views import fetch, paged

from bookings_service.projections.bookings_view import bookings_view
from bookings_service.projections.catalogue_replica import catalogue_replica

LIVE_STATUSES = ("pending", "awaiting_payment", "confirmed", "waitlisted")
_LIVE = literal(list(LIVE_STATUSES), ARRAY(TEXT))


def _list(where, limit: int, offset: int):  # noqa: ANN001, ANN202
    """Waitlisted bookings carry their place among the event's waitlisted bookings; they come after the
    others, in queue order (acceptance order). The page is cut first and only its rows are placed in the
    line: placing every matching row made one page of an event with n waiting O(n²) (1.2 s at 1,500)."""
    page = paged(select(bookings_view, func.count().over().label("total")).where(where)
                 .order_by(*_order(bookings_view.c)), limit, offset).subquery("page")
    w = bookings_view.alias("w")
    waiting = page.c.status == "waitlisted"
    position = select(func.count().label("waitlist_position")).where(
        waiting, w.c.event_id == page.c.event_id, w.c.status == "waitlisted",
        tuple_(_place(w.c), w.c.waitlisted_at, w.c.booking_id)
        <= tuple_(_place(page.c), page.c.waitlisted_at, page.c.booking_id),
    ).lateral("q")
    return (select(page, position.c.waitlist_position)
            .select_from(page.outerjoin(position, waiting)).order_by(*_order(page.c)))


def _order(c):  # noqa: ANN001, ANN202
    """The list's order: waitlisted bookings last, in line order; the others by when they were made."""
    waiting = c.status == "waitlisted"
    return (waiting, case((waiting, _place(c)), else_=0), case((waiting, c.waitlisted_at), else_=c.created_at),
            c.booking_id)


def _place(c):  # noqa: ANN001, ANN202
    """The line's order (domain/waitlist.py): by acceptance number; unnumbered (older) bookings first, by
    when they joined."""
    return func.coalesce(c.sequence, 0)


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
        b = bookings_view.c
        where = and_(true(), *(getattr(b, column) == getattr(filters, column)
                               for column in ("user_id", "event_id", "status") if getattr(filters, column) is not None))
        with self.pool.connection() as conn:
            rows = fetch(conn, _list(where, limit, offset))
            if rows:
                return [dict(r) for r in rows], rows[0]["total"]
            count = fetch(conn, select(func.count().label("n")).select_from(bookings_view).where(where))[0]
        return [], count["n"]

    def overdue_holds(self, now: datetime, limit: int = 500) -> list[UUID]:
        """Bookings whose payment hold lapsed, as far as the view knows (the aggregate re-checks)."""
        b = bookings_view.c
        return self._ids(select(b.booking_id).where(b.status == "awaiting_payment", b.expires_at <= now)
                         .order_by(b.expires_at).limit(limit))

    def pending_since(self, before: datetime, limit: int = 500) -> list[UUID]:
        """Bookings pending (asking the Event for seats) since before `before`, as far as the view knows."""
        b = bookings_view.c
        return self._ids(select(b.booking_id).where(b.status == "pending", b.updated_at <= before)
                         .order_by(b.updated_at).limit(limit))

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        """Bookings of an event not yet in a final status."""
        b = bookings_view.c
        return self._ids(select(b.booking_id).where(b.event_id == event_id, b.status == any_(_LIVE)))

    def live_in_cancelled_events(self, limit: int = 500) -> list[UUID]:
        """Live bookings of events the catalogue shows as cancelled (missed by the cascade, e.g. view lag)."""
        b, c = bookings_view.c, catalogue_replica.c
        return self._ids(select(b.booking_id).select_from(bookings_view.join(catalogue_replica,
                                                                             b.event_id == c.event_id))
                         .where(c.status == "cancelled", b.status == any_(_LIVE)).limit(limit))

    def events_with_waiting(self, limit: int = 100) -> list[tuple[UUID, int, int]]:
        """(event id, seats available, catalogue version) of scheduled events that have free seats and a line."""
        b, c = bookings_view.c, catalogue_replica.c
        query = select(c.event_id, c.seats_available, c.version).where(
            c.status == "scheduled", c.seats_available > 0,
            exists().where(b.event_id == c.event_id, b.status == "waitlisted")).limit(limit)
        with self.pool.connection() as conn:
            rows = fetch(conn, query)
        return [(r["event_id"], r["seats_available"], r["version"]) for r in rows]

    def _ids(self, query: Any) -> list[UUID]:
        with self.pool.connection() as conn:
            return [next(iter(r.values())) for r in fetch(conn, query)]
