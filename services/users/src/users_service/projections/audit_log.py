"""The audit log: one row per public event of every service (`*.v1`, not the command topics).

Built from Kafka like every view, so it can be dropped and rebuilt from offset 0 (event topics keep
everything). Rows are never updated or deleted by the service: the API only reads them.

Idempotent under redelivery twice over: the projector records (topic, partition, offset) with the rows
(spine.projector), and the rows themselves are unique by `event_id` and by their source position, so
an event the relay re-published (same event_id, new offset) is not logged twice either
(`ON CONFLICT DO NOTHING`). A fetched batch is written with one INSERT of all its rows.

The table is SQLAlchemy Core metadata (`AUDIT_TABLE`, name + `VERSION`) and its statements are built
with the expression language, compiled once for psycopg (`spine.views`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert

from contracts import Envelope, topics
from spine.views import DIALECT, View

from users_service.domain.audit_entry import compact_payload, entity_of

NAME = "audit_log"
VERSION = 1  # bump when the table's definition changes (the views framework rebuilds it then)

metadata = MetaData()

AUDIT_TABLE = Table(
    NAME, metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Text),
    Column("action", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("correlation_id", Text),
    Column("causation_id", Text),
    # Where it was read; NULL only for rows applied without a position (unique ignores NULLs).
    Column("topic", Text),
    Column("partition", Integer),
    Column("offset", BigInteger),
    Column("payload", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    UniqueConstraint("topic", "partition", "offset", name="audit_log_source"),
    Index("audit_log_newest", text("occurred_at DESC"), text("event_id DESC")),
    Index("audit_log_actor", "actor_id", text("occurred_at DESC")),
    Index("audit_log_entity", "entity_type", "entity_id", text("occurred_at DESC")),
    Index("audit_log_correlation", "correlation_id", text("occurred_at DESC")),
    Index("audit_log_action", "action", text("occurred_at DESC")),
)

# A batch is one INSERT … SELECT FROM unnest(<one array per column>): a single statement, compiled once,
# whatever the batch size; rows already there (same event_id or source position) are skipped.
_WRITTEN = [c.name for c in AUDIT_TABLE.columns if c.name != "recorded_at"]
INSERT_ROWS = insert(AUDIT_TABLE).from_select(
    _WRITTEN,
    select(*(func.unnest(bindparam(name, type_=ARRAY(AUDIT_TABLE.c[name].type))).label(name) for name in _WRITTEN)),
).on_conflict_do_nothing()
_INSERT_SQL = str(INSERT_ROWS.compile(dialect=DIALECT))


class AuditLog(View):
    """Every public event as an audit entry (see the module docstring)."""

    name = NAME
    version = VERSION
    metadata = metadata
    volatile_columns = frozenset({"recorded_at"})  # when this database wrote the row, not part of the event

    def __init__(self, event_topics: Sequence[str] = topics.EVENT_TOPICS):
        self.topics = tuple(event_topics)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        """One event whose source position is not known (a rebuild through `apply`): logged without it."""
        self._insert(cur, [row_of(envelope, None, None, None)])

    def apply_messages(self, cur: Cursor, topic: str, partition: int,
                       messages: Sequence[tuple[int, Envelope]]) -> None:
        """A batch of one partition with one multi-row INSERT; events already logged are skipped."""
        self._insert(cur, [row_of(envelope, topic, partition, offset) for offset, envelope in messages])

    def _insert(self, cur: Cursor, rows: list[dict[str, Any]]) -> None:
        unique: dict[Any, dict[str, Any]] = {}
        for row in rows:
            unique.setdefault(row["event_id"], row)  # a batch may hold a re-published event twice
        if unique:
            cur.execute(_INSERT_SQL, {name: [row[name] for row in unique.values()] for name in _WRITTEN})


def row_of(envelope: Envelope, topic: str | None, partition: int | None, offset: int | None) -> dict[str, Any]:
    """The audit row of one event read at topic/partition/offset (None when not known)."""
    entity_type, entity_id = entity_of(envelope, topic or "")
    return {
        "event_id": envelope.event_id,
        "occurred_at": envelope.occurred_at,
        "actor_id": envelope.actor_id,
        "action": envelope.type,
        "version": envelope.version,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "payload": Jsonb(compact_payload(envelope.payload)),
    }
