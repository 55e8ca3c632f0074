"""Reads of the audit log for `GET /api/v1/audit`: filters composed with SQLAlchemy Core, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from sqlalchemy import ColumnElement, and_, func, select, true

from users_service.projections.audit_log import AUDIT_TABLE, DIALECT

A = AUDIT_TABLE.c


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; every field narrows the result (None: any). `since` inclusive, `until` exclusive."""

    actor_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    correlation_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def condition(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        for column, value in ((A.actor_id, self.actor_id), (A.entity_type, self.entity_type),
                              (A.entity_id, self.entity_id), (A.action, self.action),
                              (A.correlation_id, self.correlation_id)):
            if value is not None:
                parts.append(column == value)
        if self.since is not None:
            parts.append(A.occurred_at >= self.since)
        if self.until is not None:
            parts.append(A.occurred_at < self.until)
        return and_(true(), *parts)


@dataclass(frozen=True)
class AuditRow:
    event_id: UUID
    occurred_at: datetime
    actor_id: str | None
    action: str
    version: int
    entity_type: str
    entity_id: str
    correlation_id: str | None
    causation_id: str | None
    topic: str | None
    partition: int | None
    offset: int | None
    payload: dict[str, Any]
    recorded_at: datetime


class AuditQuery:
    """Pages of audit entries (read-only: nothing here writes)."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def page(self, where: AuditFilter, *, limit: int, offset: int) -> tuple[list[AuditRow], int]:
        """One page, newest first (ties broken by event id, so pages never overlap), and the total count."""
        condition = where.condition()
        count = select(func.count().label("n")).select_from(AUDIT_TABLE).where(condition)
        rows = (select(AUDIT_TABLE).where(condition)
                .order_by(A.occurred_at.desc(), A.event_id.desc()).limit(limit).offset(offset))
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            counted = cur.execute(*_compiled(count)).fetchone()
            total = counted["n"] if counted else 0
            found = cur.execute(*_compiled(rows)).fetchall()
        return [AuditRow(**row) for row in found], total


def _compiled(statement: Any) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=DIALECT)
    return str(compiled), compiled.params
