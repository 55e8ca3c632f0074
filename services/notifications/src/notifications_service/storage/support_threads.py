"""Listing support threads from the view (own threads; all of them, filtered, for support and admins)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import func, select

from notifications_service.projections.support_threads import support_threads_view as t
from notifications_service.projections.tables import users_view
from notifications_service.storage.sql import run

AGENT_ROLES = ("support", "admin")


class SupportThreads:
    """Queries on support_threads_view and on who may be assigned a thread."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def list(self, *, user_id: UUID | None, status: str | None, assignee_id: UUID | None, limit: int, offset: int
             ) -> tuple[list[dict[str, Any]], int]:
        """A page of threads, most recently active first."""
        where = []
        if user_id is not None:
            where.append(t.c.user_id == user_id)
        if status is not None:
            where.append(t.c.status == status)
        if assignee_id is not None:
            where.append(t.c.assignee_id == assignee_id)
        with self.pool.connection() as conn:
            total = run(conn, select(func.count()).select_from(t).where(*where)).fetchone()
            rows = run(conn, select(t).where(*where).order_by(t.c.updated_at.desc(), t.c.thread_id)
                       .limit(limit).offset(offset)).fetchall()
        return rows, int(next(iter(total.values())))

    def is_agent(self, user_id: UUID) -> bool:
        """Whether the user is a support agent or admin (per the local users view, not disabled)."""
        with self.pool.connection() as conn:
            row = run(conn, select(users_view.c.role).where(users_view.c.user_id == user_id,
                                                           users_view.c.disabled.is_(False))).fetchone()
        return row is not None and row["role"] in AGENT_ROLES
