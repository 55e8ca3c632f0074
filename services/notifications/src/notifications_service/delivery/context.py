"""What a notification's template and calendar file need, read from the local views (never another service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from sqlalchemy import select

from notifications_service.projections.tables import bookings_view, events_view, users_view
from notifications_service.storage.sql import run


@dataclass
class Context:
    """The recipient, and the booking and event the notification is about (None when it is about neither)."""

    user: dict[str, Any] | None
    booking: dict[str, Any] | None
    event: dict[str, Any] | None
    waiting_for: str | None  # "user" / "event" / "booking": not in the views yet (messages from another topic)


def load_context(conn: Connection, row: dict[str, Any]) -> Context:
    """Look up the recipient, booking and event of a notification row (a dict-row connection)."""
    data = row["data"] or {}
    user = run(conn, select(users_view).where(users_view.c.user_id == row["user_id"])).fetchone()
    booking = None
    if data.get("booking_id"):
        booking = run(conn, select(bookings_view).where(bookings_view.c.booking_id == data["booking_id"])).fetchone()
    event_id = data.get("event_id") or (booking["event_id"] if booking else None)
    event = None
    if event_id:
        event = run(conn, select(events_view).where(events_view.c.event_id == event_id)).fetchone()
    waiting = None
    if user is None:
        waiting = "user"
    elif data.get("booking_id") and booking is None and row["category"] == "booking":
        waiting = "booking"
    elif (event_id or row["category"] == "booking") and event is None and row["category"] != "payment":
        waiting = "event"
    return Context(user=user, booking=booking, event=event, waiting_for=waiting)
