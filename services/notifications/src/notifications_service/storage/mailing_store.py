"""Reading and writing mailings for the api: create, preview, cancel, and show them with delivery counts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from sqlalchemy import case, func, insert, select, update

from notifications_service.domain.mailing import MailingNotFound, check_cancellable
from notifications_service.projections.tables import events_view
from notifications_service.storage.audience import audience_count
from notifications_service.storage.mailings import mailings as m
from notifications_service.storage.mailings import recipients as r
from notifications_service.storage.sql import run


def _first_value(row: dict[str, Any] | None) -> int:
    return int(next(iter(row.values()))) if row else 0


class MailingStore:
    """Mailings and their recipients' delivery counts, in the service's database."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def event_organizer(self, event_id: UUID) -> UUID | None:
        """Who organises the event, per the local events view (None: unknown event)."""
        with self.pool.connection() as conn:
            row = run(conn, select(events_view.c.organizer_id).where(events_view.c.event_id == event_id)).fetchone()
        return row["organizer_id"] if row else None

    def preview(self, filters: dict[str, Any], category: str) -> int:
        """How many people the mailing would reach now."""
        with self.pool.connection() as conn:
            return _first_value(run(conn, audience_count(filters, category)).fetchone())

    def create(self, values: dict[str, Any]) -> dict[str, Any]:
        """Store a scheduled mailing; the worker's sender picks it up when due."""
        with self.pool.connection() as conn:
            run(conn, insert(m).values(**{**values, "filters": Jsonb(values["filters"])}))
        return self.get(values["mailing_id"])

    def get(self, mailing_id: UUID, *, author_id: UUID | None = None) -> dict[str, Any]:
        """The mailing with its counts; MailingNotFound if none (or, with `author_id`, not theirs)."""
        where = [m.c.mailing_id == mailing_id]
        if author_id is not None:
            where.append(m.c.author_id == author_id)
        with self.pool.connection() as conn:
            row = run(conn, select(m).where(*where)).fetchone()
            if row is None:
                raise MailingNotFound(f"no mailing {mailing_id}")
            return self._with_counts(conn, row)

    def list(self, author_id: UUID | None, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """A page of mailings, newest first (an author's own when `author_id` is given)."""
        where = [] if author_id is None else [m.c.author_id == author_id]
        with self.pool.connection() as conn:
            total = _first_value(run(conn, select(func.count()).select_from(m).where(*where)).fetchone())
            rows = run(conn, select(m).where(*where).order_by(m.c.created_at.desc(), m.c.mailing_id)
                       .limit(limit).offset(offset)).fetchall()
            return [self._with_counts(conn, row) for row in rows], total

    def cancel(self, mailing_id: UUID, *, author_id: UUID | None = None) -> dict[str, Any]:
        """Cancel a mailing that has not started; MailingAlreadyStarted (409) otherwise."""
        row = self.get(mailing_id, author_id=author_id)
        check_cancellable(row["status"])
        with self.pool.connection() as conn:
            # Conditional: the sender may claim it between the read and this write; then it is too late.
            done = run(conn, update(m).where(m.c.mailing_id == mailing_id, m.c.status == "scheduled")
                       .values(status="cancelled", cancelled_at=func.now()).returning(m.c.mailing_id)).fetchone()
        if done is None:
            check_cancellable(self.get(mailing_id)["status"])
        return self.get(mailing_id)

    def _with_counts(self, conn: Any, row: dict[str, Any]) -> dict[str, Any]:
        counts = run(conn, select(
            func.count().label("total"),
            func.count(case((r.c.status == "sent", 1))).label("sent"),
            func.count(case((r.c.status == "failed", 1))).label("failed"),
        ).where(r.c.mailing_id == row["mailing_id"])).fetchone()
        if row["status"] == "scheduled":
            # Not materialised yet: the audience as it stands now (it is fixed when sending starts).
            audience = _first_value(run(conn, audience_count(row["filters"], row["category"])).fetchone())
            return {**row, "audience": audience, "sent": 0, "failed": 0, "pending": audience}
        audience = row["audience"] if row["audience"] is not None else counts["total"]
        pending = counts["total"] - counts["sent"] - counts["failed"]
        return {**row, "audience": audience, "sent": counts["sent"], "failed": counts["failed"], "pending": pending}
