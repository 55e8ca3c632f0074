"""Disabled users, known to every service: a read model fed by `UserDisabled` and a check for `install_auth`.

Access tokens are short-lived but not instantly void; when an admin disables a user, each service learns
it from users.v1 and rejects that user's remaining tokens (`install_auth(app, verifier, is_revoked=...)`).
"""

from __future__ import annotations

import threading
import time
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from authkit.principal import Principal
from contracts import Envelope, topics
from contracts.users import UserDisabled
from spine.projector import SqlProjection


class DisabledUsersProjection(SqlProjection):
    """Table `disabled_users(user_id, disabled_at)` in the consuming service's own database."""

    name = "disabled_users"

    def __init__(self, topic: str = topics.USERS):
        # Tests feed it from a throwaway topic; services read users.v1.
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS disabled_users ("
                    "user_id uuid PRIMARY KEY, disabled_at timestamptz NOT NULL, reason text)")

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE disabled_users")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.type != UserDisabled.message_type:  # type: ignore[attr-defined]
            return
        event = UserDisabled.model_validate(envelope.payload)
        cur.execute("INSERT INTO disabled_users VALUES (%s, %s, %s) ON CONFLICT (user_id) DO NOTHING",
                    (event.user_id, event.disabled_at, event.reason))


class DisabledUsers:
    """`is_revoked` check: is the token's user disabled? Reads the projection, cached for `refresh_seconds`."""

    def __init__(self, pool: ConnectionPool, refresh_seconds: float = 2.0):
        self.pool = pool
        # Re-reading the (small) whole set every few seconds costs one query per process, not per request.
        self.refresh_seconds = refresh_seconds
        self._disabled: frozenset[UUID] = frozenset()
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, principal: Principal) -> bool:
        return principal.user_id in self._current()

    def _current(self) -> frozenset[UUID]:
        with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at >= self.refresh_seconds:
                with self.pool.connection() as conn:
                    rows = conn.execute("SELECT user_id FROM disabled_users").fetchall()
                self._disabled = frozenset(_first(row) for row in rows)
                self._loaded_at = time.monotonic()
            return self._disabled


def _first(row: object) -> UUID:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]  # type: ignore[index]
