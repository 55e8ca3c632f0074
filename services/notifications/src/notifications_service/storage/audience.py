"""A mailing's audience as one SQL query over the local views (users, bookings) minus opt-outs.

Filters (all optional, combined with AND): `event_id`, `booking_status` and `is_paid` are about the
person's bookings (a person matches when one booking matches all three); `role`, `registered_before`,
`registered_after` are about the person. Disabled users and users who opted out of the mailing's
category (notification_preferences) are never in it. Each person appears once, however many bookings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, exists, func, literal, not_, select

from notifications_service.projections.tables import bookings_view, users_view
from notifications_service.storage.preferences import preferences


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def audience_where(filters: dict[str, Any], category: str) -> list:
    """WHERE clauses on users_view for `filters` (as stored: JSON-compatible values)."""
    u, b, p = users_view, bookings_view, preferences
    where = [u.c.disabled.is_(False),
             not_(exists().where(p.c.user_id == u.c.user_id, p.c.category == category))]
    booking = []
    if filters.get("event_id") is not None:
        booking.append(b.c.event_id == UUID(str(filters["event_id"])))
    if filters.get("booking_status") is not None:
        booking.append(b.c.status == filters["booking_status"])
    if filters.get("is_paid") is not None:
        booking.append(b.c.is_paid.is_(bool(filters["is_paid"])))
    if booking:
        where.append(exists().where(b.c.user_id == u.c.user_id, and_(*booking)))
    if filters.get("role") is not None:
        where.append(u.c.role == filters["role"])
    if (before := _as_datetime(filters.get("registered_before"))) is not None:
        where.append(u.c.registered_at < before)
    if (after := _as_datetime(filters.get("registered_after"))) is not None:
        where.append(u.c.registered_at > after)
    return where


def audience_count(filters: dict[str, Any], category: str) -> Select:
    """SELECT count(*) of the audience."""
    return select(func.count()).select_from(users_view).where(*audience_where(filters, category))


def audience_rows(mailing_id: UUID, filters: dict[str, Any], category: str) -> Select:
    """SELECT (mailing_id, user_id, email, full_name) of the audience, for INSERT ... FROM SELECT."""
    u = users_view
    return select(literal(mailing_id).label("mailing_id"), u.c.user_id, u.c.email, u.c.full_name) \
        .where(*audience_where(filters, category))
