"""Reading and replacing a user's opt-outs (notification_preferences)."""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from notifications_service.storage.preferences import preferences as p
from notifications_service.storage.sql import run


class Preferences:
    """Which optional categories each user turned off."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def opted_out(self, user_id: UUID) -> set[str]:
        with self.pool.connection() as conn:
            rows = run(conn, select(p.c.category).where(p.c.user_id == user_id)).fetchall()
        return {row["category"] for row in rows}

    def set(self, user_id: UUID, changes: dict[str, bool]) -> set[str]:
        """Apply {category: enabled} in one transaction; returns the opt-outs afterwards."""
        with self.pool.connection() as conn, conn.transaction():
            for category, enabled in changes.items():
                if enabled:
                    run(conn, delete(p).where(p.c.user_id == user_id, p.c.category == category))
                else:
                    run(conn, insert(p).values(user_id=user_id, category=category).on_conflict_do_nothing())
        return self.opted_out(user_id)
