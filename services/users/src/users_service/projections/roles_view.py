"""The role list (`GET /api/v1/roles`), built from users.v1 RoleDefined so it can be dropped and rebuilt.

Roles are listed in the order they were first defined (seeded roles first); a redefinition replaces the
permissions and keeps the place. The event store's role index stays the authority for granting roles.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, insert

from contracts import Envelope, topics
from contracts.users import RoleDefined
from spine.views import View, execute, fetch, paged

metadata = MetaData()
roles_view = Table(
    "roles_view", metadata,
    Column("name", Text, primary_key=True),
    Column("permissions", ARRAY(Text), nullable=False),
    Column("defined_at", TIMESTAMP(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
)
r = roles_view.c
_insert = insert(roles_view).values(name=bindparam("v_name"), permissions=bindparam("v_permissions"),
                                    defined_at=bindparam("v_at"), version=bindparam("v_version"))
DEFINE = _insert.on_conflict_do_update(
    index_elements=["name"], set_={"permissions": _insert.excluded.permissions, "version": _insert.excluded.version},
    where=r.version < _insert.excluded.version)


class RolesView(View):
    """Table `roles_view`: every role with its permissions."""

    name = "roles_view"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.type != RoleDefined.message_type or envelope.version != 1:  # type: ignore[attr-defined]
            return
        role = RoleDefined.model_validate(envelope.payload)
        execute(cur, DEFINE, {"v_name": role.name, "v_permissions": list(role.permissions),
                              "v_at": envelope.occurred_at, "v_version": envelope.aggregate_version})


class RolesQuery:
    """Reads of the role list for the API."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def page(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of roles in the order they were defined, and how many there are."""
        with self.pool.connection() as conn:
            total = fetch(conn, select(func.count().label("n")).select_from(roles_view))[0]["n"]
            rows = fetch(conn, paged(select(r.name, r.permissions).order_by(r.defined_at, r.name), limit, offset))
        return rows, total
