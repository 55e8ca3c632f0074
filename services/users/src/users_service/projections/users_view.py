"""The admin's user list (`GET /api/v1/users/`), built from users.v1 so it can be dropped and rebuilt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, parse_payload, topics
from contracts.users import UserDisabled, UserEnabled, UserRegistered, UserRoleChanged
from spine.views import Rows, View, fetch, paged

metadata = MetaData()
users_view = Table(
    "users_view", metadata,
    Column("user_id", PG_UUID, primary_key=True),
    Column("email", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("registered_at", TIMESTAMP(timezone=True), nullable=False),
    Column("disabled_at", TIMESTAMP(timezone=True)),
    Column("version", Integer, nullable=False),
    Index("users_view_role", "role", "registered_at"),
    Index("users_view_registered", "registered_at", "user_id"),
)
u = users_view.c


class UsersView(View):
    """Table `users_view`: one row per account with its current role and state."""

    name = "users_view"
    version = 2  # 2: UserEnabled clears disabled_at (a re-enabled account was listed as disabled)
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's accounts read once, changed message by message, written back in one statement each way.

        `version` guards keep a replayed older message from undoing a newer change."""
        messages = [(e.aggregate_version, parse_payload(e)) for e in envelopes]
        rows = Rows(cur, users_view, [getattr(m, "user_id", None) for _, m in messages])
        for version, event in messages:
            if isinstance(event, UserRegistered):
                rows.insert(event.user_id, {"email": event.email, "full_name": event.full_name, "role": event.role,
                                            "registered_at": event.registered_at, "version": version})
            elif isinstance(event, UserRoleChanged):
                rows.update(event.user_id, {"role": event.role}, version)
            elif isinstance(event, UserDisabled):
                rows.update(event.user_id, {"disabled_at": event.disabled_at}, version)
            elif isinstance(event, UserEnabled):
                rows.update(event.user_id, {"disabled_at": None}, version)
        rows.write(cur)


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
        where: list[ColumnElement[bool]] = [true()]
        if role:
            where.append(u.role == role)
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(or_(u.email.ilike(pattern), u.full_name.ilike(pattern)))
        condition = and_(*where)
        with self.pool.connection() as conn:
            total = fetch(conn, select(func.count().label("n")).select_from(users_view).where(condition))[0]["n"]
            rows = fetch(conn, paged(select(u.user_id, u.email, u.full_name, u.role, u.registered_at, u.disabled_at)
                                     .where(condition).order_by(u.registered_at, u.user_id), limit, offset))
        return [UserRow(**row) for row in rows], total
