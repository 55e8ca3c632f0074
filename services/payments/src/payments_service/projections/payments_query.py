"""Searching the `payments_view` read model: the filters of GET /api/v1/payments/ and the reconciler's query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class PaymentFilters:
    """What a caller narrowed the list down to; None means "any"."""

    user_id: UUID | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """The WHERE clause and its parameters."""
        clauses, params = ["TRUE"], {}
        if self.user_id is not None:
            clauses.append("user_id = %(user_id)s")
            params["user_id"] = self.user_id
        if self.status is not None:
            clauses.append("status = %(status)s")
            params["status"] = self.status
        if self.created_from is not None:
            clauses.append("created_at >= %(created_from)s")
            params["created_from"] = self.created_from
        if self.created_to is not None:
            clauses.append("created_at < %(created_to)s")
            params["created_to"] = self.created_to
        return " AND ".join(clauses), params


class PaymentsQuery:
    """Read side of the payments list."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def search(self, filters: PaymentFilters, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of matching payments, newest first, and how many match in total."""
        where, params = filters.where()
        with self.pool.connection() as conn:
            total = conn.execute(f"SELECT count(*) AS n FROM payments_view WHERE {where}", params).fetchone()
            rows = conn.execute(
                f"SELECT * FROM payments_view WHERE {where} "  # noqa: S608 - clauses are fixed strings
                "ORDER BY created_at DESC, payment_id LIMIT %(limit)s OFFSET %(offset)s",
                {**params, "limit": limit, "offset": offset}).fetchall()
        return rows, int(total["n"])

    def stuck_pending(self, older_than: datetime, *, providers: tuple[str, ...], limit: int = 200) -> list[UUID]:
        """Pending online payments created before `older_than` (the reconciler asks their providers again)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT payment_id FROM payments_view WHERE status = 'pending' AND created_at < %s"
                " AND provider = ANY(%s) ORDER BY created_at LIMIT %s",
                (older_than, list(providers), limit)).fetchall()
        return [row["payment_id"] for row in rows]
