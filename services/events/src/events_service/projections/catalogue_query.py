"""Searching the `catalogue` view: the filters of GET /api/v1/events/, ordered by start time.

`seats_available` is computed here (seat leases, issue 8): the Event's unallocated seats plus the leased seats
no booking holds, from the `lease_use` view — the SQL form of `domain.event.bookable_seats`. The two views
are fed from different topics and each keeps only its newest figure, so the sum never mixes in stale news
of one kind, and a rebuild of either gives the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool
from sqlalchemy import ColumnElement, and_, any_, func, literal, or_, select, true

from spine.views import fetch, paged

from events_service.projections.catalogue import catalogue as c
from events_service.projections.lease_use import lease_use as lu

# Unknown ledger use counts every leased seat as held: then it is the Event's own count, as before leases.
SEATS_AVAILABLE = (c.c.seats_available
                   + func.greatest(0, c.c.seats_leased - func.coalesce(lu.c.in_use, c.c.seats_leased)))
_SOURCE = c.outerjoin(lu, lu.c.event_id == c.c.event_id)
_COLUMNS = [*(col for col in c.c if col.name != "seats_available"), SEATS_AVAILABLE.label("seats_available")]


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

    def where(self) -> ColumnElement[bool]:
        """The filters as one SQLAlchemy condition."""
        clauses: list[ColumnElement[bool]] = []
        if self.starts_after is not None:
            clauses.append(c.c.start_time >= self.starts_after)
        if self.starts_before is not None:
            clauses.append(c.c.start_time < self.starts_before)
        if self.is_paid is not None:
            clauses.append(c.c.is_paid.is_(self.is_paid))
        if self.has_seats is not None:
            clauses.append(SEATS_AVAILABLE > 0 if self.has_seats else SEATS_AVAILABLE <= 0)
        if self.tag:
            clauses.append(literal(self.tag.strip().lower()) == any_(c.c.tags))  # tags are stored lower-case
        if self.q:
            pattern = f"%{_escape_like(self.q.strip())}%"
            clauses.append(or_(c.c.title.ilike(pattern), c.c.description.ilike(pattern)))
        if self.created_by is not None:
            clauses.append(c.c.created_by == self.created_by)
        if self.status is not None:
            clauses.append(c.c.status == self.status)
        return and_(true(), *clauses)


def _escape_like(text: str) -> str:
    """A visitor's `%` or `_` means the character itself, not a wildcard."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Catalogue:
    """Read side of the catalogue."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def search(self, filters: CatalogueFilters, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of matching events (rows as dicts) and how many match in total."""
        where = filters.where()
        with self.pool.connection() as conn:
            total = fetch(conn, select(func.count().label("n")).select_from(_SOURCE).where(where))[0]
            rows = fetch(conn, paged(select(*_COLUMNS).select_from(_SOURCE).where(where)
                                     .order_by(c.c.start_time, c.c.event_id), limit, offset))
        return rows, _count(total)


def _count(row: Any) -> int:
    return int(row["n"] if isinstance(row, dict) else row[0])
