"""What a notification's template and calendar file need, read from the local views (never another service).

The sender looks up a whole round's rows at once (`load_contexts`: one query per view, whatever the round's
size), so a round of 50 e-mails costs three look-ups, not 150.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection
from sqlalchemy import bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from spine.views import execute

from notifications_service.projections.tables import bookings_view, events_view, users_view


@dataclass
class Context:
    """The recipient, and the booking and event the notification is about (None when it is about neither)."""

    user: dict[str, Any] | None
    booking: dict[str, Any] | None
    event: dict[str, Any] | None
    waiting_for: str | None  # "user" / "event" / "booking": not in the views yet (messages from another topic)


def _by_ids(table: Any, key: Any) -> Any:
    """SELECT * WHERE key = ANY(:ids): built (and compiled) once."""
    return select(table).where(key == func.any(cast(bindparam("ids"), ARRAY(PG_UUID(as_uuid=True)))))


_USERS = _by_ids(users_view, users_view.c.user_id)
_BOOKINGS = _by_ids(bookings_view, bookings_view.c.booking_id)
_EVENTS = _by_ids(events_view, events_view.c.event_id)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _fetch(conn: Connection, statement: Any, key: str, ids: set[UUID]) -> dict[UUID, dict[str, Any]]:
    if not ids:
        return {}
    rows: list[Any] = execute(conn.cursor(), statement, {"ids": sorted(ids)}).fetchall()
    return {row[key]: row for row in rows}


def load_contexts(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[Context]:
    """The contexts of notification rows (a dict-row connection), in their order: three queries in all."""
    datas = [row["data"] or {} for row in rows]
    users = _fetch(conn, _USERS, "user_id", {_uuid(row["user_id"]) for row in rows})
    bookings = _fetch(conn, _BOOKINGS, "booking_id", {_uuid(d["booking_id"]) for d in datas if d.get("booking_id")})
    event_ids: list[Any] = []
    for data in datas:
        booking = bookings.get(_uuid(data["booking_id"])) if data.get("booking_id") else None
        event_ids.append(data.get("event_id") or (booking["event_id"] if booking else None))
    events = _fetch(conn, _EVENTS, "event_id", {_uuid(e) for e in event_ids if e})
    contexts = []
    for row, data, event_id in zip(rows, datas, event_ids, strict=True):
        user = users.get(_uuid(row["user_id"]))
        booking = bookings.get(_uuid(data["booking_id"])) if data.get("booking_id") else None
        event = events.get(_uuid(event_id)) if event_id else None
        contexts.append(_context(row, data, user, booking, event, event_id))
    return contexts


def load_context(conn: Connection, row: dict[str, Any]) -> Context:
    """Look up the recipient, booking and event of one notification row (a dict-row connection)."""
    return load_contexts(conn, [row])[0]


def _context(row: dict[str, Any], data: dict[str, Any], user: Any, booking: Any, event: Any,
             event_id: Any) -> Context:
    waiting = None
    if user is None:
        waiting = "user"
    elif data.get("booking_id") and booking is None and row["category"] == "booking":
        waiting = "booking"
    elif (event_id or row["category"] == "booking") and event is None and row["category"] != "payment":
        waiting = "event"
    return Context(user=user, booking=booking, event=event, waiting_for=waiting)
