"""Reading one booking and its event from the local views, for the calendar file."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import select

from notifications_service.projections.tables import bookings_view, events_view, users_view
from notifications_service.storage.sql import run


def booking_with_event(pool: ConnectionPool, booking_id: UUID, user_id: UUID
                       ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
    """(booking, event, owner) when `user_id` owns the booking and its event is known; otherwise None."""
    b, e, u = bookings_view, events_view, users_view
    with pool.connection() as conn:
        booking = run(conn, select(b).where(b.c.booking_id == booking_id, b.c.user_id == user_id)).fetchone()
        if booking is None:
            return None
        event = run(conn, select(e).where(e.c.event_id == booking["event_id"])).fetchone()
        if event is None:
            return None
        owner = run(conn, select(u).where(u.c.user_id == user_id)).fetchone()
    return booking, event, owner
