"""Searching the `catalogue` read model: the filters of GET /api/v1/events/, ordered by start time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor narrowed the list down to; None means "any"."""

    starts_after: datetime | None = None
    starts_before: datetime | None = None
    is_paid: bool | None = None
    has_seats: bool | None = None
    tag: str | None = None
    q: str | None = None
    created_by: UUID | None = None
    status: str | None = None

    def where(self) -> tuple[sql.Composable, dict[str, Any]]:
        """The WHERE clause and its parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.starts_after is not None:
            clauses.append("start_time >= %(starts_after)s")
            params["starts_after"] = self.starts_after
        if self.starts_before is not None:
            clauses.append("start_time < %(starts_before)s")
            params["starts_before"] = self.starts_before
        if self.is_paid is not None:
            clauses.append("is_paid = %(is_paid)s")
            params["is_paid"] = self.is_paid
        if self.has_seats is not None:
            clauses.append("seats_available > 0" if self.has_seats else "seats_available <= 0")
        if self.tag:
            clauses.append("%(tag)s = ANY(tags)")
            params["tag"] = self.tag.strip().lower()  # tags are stored lower-case
        if self.q:
            clauses.append("(title ILIKE %(q)s OR description ILIKE %(q)s)")
            params["q"] = f"%{_escape_like(self.q.strip())}%"
        if self.created_by is not None:
            clauses.append("created_by = %(created_by)s")
            params["created_by"] = self.created_by
        if self.status is not None:
            clauses.append("status = %(status)s")
            params["status"] = self.status
        if not clauses:
            return sql.SQL(""), params
        return sql.SQL("WHERE " + " AND ".join(clauses)), params


def _escape_like(text: str) -> str:
    """A visitor's `%` or `_` means the character itself, not a wildcard."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Catalogue:
    """Read side of the catalogue."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def search(self, filters: CatalogueFilters, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of matching events (rows as dicts) and how many match in total."""
        where, params = filters.where()
        with self.pool.connection() as conn:
            total = conn.execute(sql.SQL("SELECT count(*) AS n FROM catalogue {}").format(where), params).fetchone()
            rows = conn.execute(
                sql.SQL("SELECT * FROM catalogue {} ORDER BY start_time, event_id LIMIT %(limit)s OFFSET %(offset)s")
                .format(where),
                {**params, "limit": limit, "offset": offset},
            ).fetchall()
        return rows, _count(total)


def _count(row: Any) -> int:
    return int(row["n"] if isinstance(row, dict) else row[0])
