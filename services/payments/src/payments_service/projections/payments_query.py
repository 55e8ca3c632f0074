"""Searching the `payments_view` view: the filters of GET /api/v1/payments/ and the reconciler's query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import ColumnElement, and_, any_, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, TEXT

from spine.views import fetch, paged

from payments_service.projections.payments_view import payments_view as p


@dataclass(frozen=True)
class PaymentFilters:
    """What a caller narrowed the list down to; None means "any"."""

    user_id: UUID | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def where(self) -> ColumnElement[bool]:
        """The filters as one SQLAlchemy condition."""
        clauses: list[ColumnElement[bool]] = []
        if self.user_id is not None:
            clauses.append(p.c.user_id == self.user_id)
        if self.status is not None:
            clauses.append(p.c.status == self.status)
        if self.created_from is not None:
            clauses.append(p.c.created_at >= self.created_from)
        if self.created_to is not None:
            clauses.append(p.c.created_at < self.created_to)
        return and_(true(), *clauses)


class PaymentsQuery:
    """Read side of the payments list."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def search(self, filters: PaymentFilters, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of matching payments, newest first, and how many match in total."""
        where = filters.where()
        with self.pool.connection() as conn:
            total = fetch(conn, select(func.count().label("n")).select_from(p).where(where))[0]
            rows = fetch(conn, paged(select(p).where(where).order_by(p.c.created_at.desc(), p.c.payment_id),
                                     limit, offset))
        return rows, int(total["n"])

    def stuck_pending(self, older_than: datetime, *, providers: tuple[str, ...], limit: int = 200) -> list[UUID]:
        """Pending online payments created before `older_than` (the reconciler asks their providers again)."""
        with self.pool.connection() as conn:
            rows = fetch(conn, select(p.c.payment_id).where(
                p.c.status == "pending", p.c.created_at < older_than,
                p.c.provider == any_(literal(list(providers), ARRAY(TEXT))))
                .order_by(p.c.created_at).limit(limit))
        return [row["payment_id"] for row in rows]
