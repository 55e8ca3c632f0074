"""The cross-service audit log: GET /api/v1/audit (read-only; entries cannot be edited or deleted).

Who may read it: holders of `audit:read` — by default admins only. Support is not seeded with it: the log
audits support's own operator actions (cash confirmations) and shows admins' decisions on accounts and
roles, and support already reads bookings, payments and users directly. An admin who wants support to
read it grants the permission by redefining the role (`POST /api/v1/roles`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from authkit import Principal
from authkit.deps import require
from contracts import limits as lim
from contracts.permissions import AUDIT_READ
from webkit import PageParams, Problem, problem_responses, set_page_headers
from webkit.fields import Line, Timestamp

from users_service.api.deps import Services
from users_service.domain.audit_entry import ENTITY_TYPES
from users_service.projections.audit_query import AuditFilter, AuditRow

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

EntityType = Literal[ENTITY_TYPES]  # type: ignore[valid-type]
ACTION_PATTERN = r"^[A-Za-z][A-Za-z0-9]*$"


class AuditSource(BaseModel):
    """Where the audit log read the event (null for entries rebuilt without positions)."""

    topic: str | None = Field(examples=["bookings.v1"])
    partition: int | None = Field(examples=[3])
    offset: int | None = Field(examples=[1042])


class AuditEntry(BaseModel):
    """One public event of any service, as the audit log keeps it (secret-named fields never copied)."""

    id: UUID = Field(description="The event's id (unique).")
    occurred_at: datetime
    actor_id: str | None = Field(description="The user who caused it; null for the system (timers, providers).")
    action: str = Field(description="The event type.", examples=["BookingConfirmed"])
    version: int = Field(description="The event type's schema version.", examples=[1])
    entity_type: str = Field(examples=["booking"])
    entity_id: str = Field(description="The aggregate's id (a role's name, a setting's key).")
    correlation_id: str | None = Field(description="Shared by every event of one request or booking story.")
    causation_id: str | None = Field(description="The event that caused this one, if any.")
    source: AuditSource
    payload: dict[str, Any] = Field(description="The event's payload, compacted; `_redacted` lists withheld fields.")
    recorded_at: datetime = Field(description="When the audit log recorded it.")

    @classmethod
    def of(cls, row: AuditRow) -> AuditEntry:
        return cls(id=row.event_id, occurred_at=row.occurred_at, actor_id=row.actor_id, action=row.action,
                   version=row.version, entity_type=row.entity_type, entity_id=row.entity_id,
                   correlation_id=row.correlation_id, causation_id=row.causation_id,
                   source=AuditSource(topic=row.topic, partition=row.partition, offset=row.offset),
                   payload=row.payload, recorded_at=row.recorded_at)


@router.get("", response_model=list[AuditEntry], responses=problem_responses(401, 403, 422))
def read_audit_log(
    request: Request, response: Response, page: PageParams, service: Services,
    _: Annotated[Principal, Depends(require(AUDIT_READ))],
    actor_id: Annotated[UUID | None, Query(description="Only what this user did.")] = None,
    entity_type: Annotated[EntityType | None, Query(description="Only events about this kind of entity.")] = None,
    entity_id: Annotated[Annotated[str, Line(lim.AGGREGATE_ID, min_length=1)] | None,
                         Query(description="Only events about this entity (id; a role's name, a setting's key).")
                         ] = None,
    action: Annotated[str | None, Query(max_length=lim.MESSAGE_TYPE, pattern=ACTION_PATTERN,
                                        description="Only this event type.", examples=["PaymentRefunded"])] = None,
    correlation_id: Annotated[Annotated[str, Line(lim.CORRELATION_ID, min_length=1)] | None,
                              Query(description="One request's or booking's whole story.")] = None,
    since: Annotated[Timestamp | None, Query(alias="from", description="Occurred at or after.")] = None,
    until: Annotated[Timestamp | None, Query(alias="to", description="Occurred before.")] = None,
) -> list[AuditEntry]:
    """Audit entries of every service, newest first (`audit:read`: admins). Entries cannot be changed."""
    if since is not None and until is not None and since > until:
        raise Problem(422, "Unprocessable Content", "`from` must not be after `to`")
    where = AuditFilter(actor_id=str(actor_id) if actor_id else None, entity_type=entity_type,
                        entity_id=entity_id, action=action, correlation_id=correlation_id, since=since, until=until)
    rows, total = service.audit_query.page(where, limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [AuditEntry.of(row) for row in rows]
