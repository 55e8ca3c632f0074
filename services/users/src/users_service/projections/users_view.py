"""The admin's user list (`GET /api/v1/users/`), built from users.v1 so it can be dropped and rebuilt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from contracts import Envelope, parse_payload, topics
from contracts.users import UserDisabled, UserRegistered, UserRoleChanged
from spine.projector import SqlProjection


class UsersView(SqlProjection):
    """Table `users_view`: one row per account with its current role and state."""

    name = "users_view"

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute("""
            CREATE TABLE IF NOT EXISTS users_view (
                user_id uuid PRIMARY KEY,
                email text NOT NULL,
                full_name text NOT NULL,
                role text NOT NULL,
                registered_at timestamptz NOT NULL,
                disabled_at timestamptz,
                version int NOT NULL
            )""")
        cur.execute("CREATE INDEX IF NOT EXISTS users_view_role ON users_view (role, registered_at)")
        cur.execute("CREATE INDEX IF NOT EXISTS users_view_registered ON users_view (registered_at, user_id)")

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE users_view")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        event = parse_payload(envelope)
        version = envelope.aggregate_version
        # `version < new` guards keep a replayed older message from undoing a newer change.
        if isinstance(event, UserRegistered):
            cur.execute(
                "INSERT INTO users_view (user_id, email, full_name, role, registered_at, version) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO NOTHING",
                (event.user_id, event.email, event.full_name, event.role, event.registered_at, version))
        elif isinstance(event, UserRoleChanged):
            cur.execute("UPDATE users_view SET role = %s, version = %s WHERE user_id = %s AND version < %s",
                        (event.role, version, event.user_id, version))
        elif isinstance(event, UserDisabled):
            cur.execute("UPDATE users_view SET disabled_at = %s, version = %s WHERE user_id = %s AND version < %s",
                        (event.disabled_at, version, event.user_id, version))


@dataclass(frozen=True)
class UserRow:
    user_id: UUID
    email: str
    full_name: str
    role: str
    registered_at: datetime
    disabled_at: datetime | None


class UsersQuery:
    """Reads of the user list for the API."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def page(self, *, limit: int, offset: int, role: str | None = None, q: str | None = None
             ) -> tuple[list[UserRow], int]:
        """One page of users (oldest first) matching the filters, and how many match in total."""
        where, params = ["TRUE"], []
        if role:
            where.append("role = %s")
            params.append(role)
        if q:
            where.append("(email ILIKE %s OR full_name ILIKE %s)")
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        condition = " AND ".join(where)
        with self.pool.connection() as conn:
            total = conn.execute(f"SELECT count(*) AS n FROM users_view WHERE {condition}", params).fetchone()["n"]
            rows = conn.execute(
                f"SELECT user_id, email, full_name, role, registered_at, disabled_at FROM users_view "
                f"WHERE {condition} ORDER BY registered_at, user_id LIMIT %s OFFSET %s",
                [*params, limit, offset]).fetchall()
        return [UserRow(**row) for row in rows], total
