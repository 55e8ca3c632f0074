"""The role list (`GET /api/v1/roles`), built from users.v1 RoleDefined so it can be dropped and rebuilt.

Roles are listed in the order they were first defined (seeded roles first); a redefinition replaces the
permissions and keeps the place. The event store's role index stays the authority for granting roles.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP

from contracts import Envelope, topics
from contracts.users import RoleDefined
from spine.views import Rows, View, fetch, paged

metadata = MetaData()
roles_view = Table(
    "roles_view", metadata,
    Column("name", Text, primary_key=True),
    Column("permissions", ARRAY(Text), nullable=False),
    Column("defined_at", TIMESTAMP(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
)
r = roles_view.c


class RolesView(View):
    """Table `roles_view`: every role with its permissions."""

    name = "roles_view"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """A new role is added; a known one takes a newer definition's permissions (its defined_at stays)."""
        defined = [(e, RoleDefined.model_validate(e.payload)) for e in envelopes
                   if e.type == RoleDefined.message_type and e.version == 1]  # type: ignore[attr-defined]
        rows = Rows(cur, roles_view, [role.name for _, role in defined])
        for envelope, role in defined:
            rows.put(role.name, {"permissions": list(role.permissions)}, envelope.aggregate_version,
                     first={"defined_at": envelope.occurred_at})
        rows.write(cur)


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
