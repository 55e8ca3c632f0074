"""The admin's user list (`GET /api/v1/users/`), built from users.v1 so it can be dropped and rebuilt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import (
    Column, ColumnElement, Index, Integer, MetaData, Table, Text, and_, bindparam, func, or_, select, true, update,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, parse_payload, topics
from contracts.users import UserDisabled, UserEnabled, UserRegistered, UserRoleChanged
from spine.views import View, execute, fetch, paged

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

REGISTER = insert(users_view).values(
    user_id=bindparam("id"), email=bindparam("v_email"), full_name=bindparam("v_full_name"), role=bindparam("v_role"),
    registered_at=bindparam("v_registered_at"), version=bindparam("v_version"),
).on_conflict_do_nothing(index_elements=["user_id"])
# `version < new` guards keep a replayed older message from undoing a newer change.
_NEWER = and_(u.user_id == bindparam("id"), u.version < bindparam("v_version"))
SET_ROLE = update(users_view).values(role=bindparam("v_role"), version=bindparam("v_version")).where(_NEWER)
SET_DISABLED = (update(users_view).values(disabled_at=bindparam("v_disabled_at"), version=bindparam("v_version"))
                .where(_NEWER))
SET_ENABLED = update(users_view).values(disabled_at=None, version=bindparam("v_version")).where(_NEWER)


class UsersView(View):
    """Table `users_view`: one row per account with its current role and state."""

    name = "users_view"
    version = 2  # 2: UserEnabled clears disabled_at (a re-enabled account was listed as disabled)
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        event = parse_payload(envelope)
        version = envelope.aggregate_version
        if isinstance(event, UserRegistered):
            execute(cur, REGISTER, {"id": event.user_id, "v_email": event.email, "v_full_name": event.full_name,
                                    "v_role": event.role, "v_registered_at": event.registered_at,
                                    "v_version": version})
        elif isinstance(event, UserRoleChanged):
            execute(cur, SET_ROLE, {"id": event.user_id, "v_role": event.role, "v_version": version})
        elif isinstance(event, UserDisabled):
            execute(cur, SET_DISABLED, {"id": event.user_id, "v_disabled_at": event.disabled_at,
                                        "v_version": version})
        elif isinstance(event, UserEnabled):
            execute(cur, SET_ENABLED, {"id": event.user_id, "v_version": version})


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
