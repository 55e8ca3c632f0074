"""Reading and marking a user's notifications (GET /api/v1/notifications/, POST .../{id}/read)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import func, select, update

from notifications_service.storage.notifications import notifications as t
from notifications_service.storage.sql import run


class Inbox:
    """One user's notifications; nobody reaches another user's (the user id is part of every query)."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def list(self, user_id: UUID, *, unread: bool | None, limit: int, offset: int
             ) -> tuple[list[dict[str, Any]], int]:
        """A page of the user's notifications, newest first, and how many there are in total."""
        where = [t.c.user_id == user_id, t.c.status != "skipped"]
        if unread is True:
            where.append(t.c.read_at.is_(None))
        elif unread is False:
            where.append(t.c.read_at.is_not(None))
        with self.pool.connection() as conn:
            total = run(conn, select(func.count()).select_from(t).where(*where)).fetchone()
            rows = run(conn, select(t).where(*where)
                       .order_by(t.c.created_at.desc(), t.c.notification_id)
                       .limit(limit).offset(offset)).fetchall()
        return rows, int(next(iter(total.values())))

    def get(self, user_id: UUID, notification_id: UUID) -> dict[str, Any] | None:
        """The user's notification, or None (also when it is someone else's)."""
        with self.pool.connection() as conn:
            return run(conn, select(t).where(t.c.notification_id == notification_id, t.c.user_id == user_id,
                                             t.c.status != "skipped")).fetchone()

    def mark_read(self, user_id: UUID, notification_id: UUID) -> dict[str, Any] | None:
        """Mark it read (once: the first read time stays); None when the user has no such notification."""
        with self.pool.connection() as conn:
            run(conn, update(t).where(t.c.notification_id == notification_id, t.c.user_id == user_id,
                                      t.c.status != "skipped", t.c.read_at.is_(None)).values(read_at=func.now()))
        return self.get(user_id, notification_id)
