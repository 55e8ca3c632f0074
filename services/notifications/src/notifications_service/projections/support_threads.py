"""The support threads view (GET /api/v1/support/threads): one row per thread, from `notifications.v1`.

Built from the service's own public support messages, like every other read model. Each row keeps the
thread version it last applied and ignores anything not newer, so a redelivered message bumps nothing. A thread's
messages are read from the event store itself (GET /threads/{id}), so this view holds only what lists need.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, Table, Text, delete
from sqlalchemy.dialects.postgresql import UUID

from contracts import Envelope, parse_payload, topics
from contracts.support import (
    SupportMessagePosted,
    SupportReplied,
    SupportThreadAssigned,
    SupportThreadClosed,
    SupportThreadReopened,
)
from spine.projector import SqlProjection
from spine.views import Rows

from notifications_service.storage.sql import create_tables, metadata, run

support_threads_view = Table(
    "support_threads_view", metadata,
    Column("thread_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),                # open | closed
    Column("assignee_id", UUID(as_uuid=True)),
    Column("message_count", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),          # the thread's aggregate version last applied
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("support_threads_view_user", support_threads_view.c.user_id, support_threads_view.c.updated_at.desc())
Index("support_threads_view_status", support_threads_view.c.status, support_threads_view.c.assignee_id)


class SupportThreadsView(SqlProjection):
    """Owner, status, assignee and activity of every support thread."""

    name = "support_threads_view"

    def __init__(self, topic: str = topics.NOTIFICATIONS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        create_tables(cur, support_threads_view)

    def reset(self, cur: Cursor) -> None:
        run(cur, delete(support_threads_view))

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """The batch's threads read once, changed message by message, written back (one UPDATE, one INSERT)."""
        messages: list[tuple[Envelope, Any]] = [(e, parse_payload(e)) for e in envelopes]
        rows = Rows(cur, support_threads_view, [getattr(m, "thread_id", None) for _, m in messages])
        for envelope, message in messages:
            at, version = envelope.occurred_at, envelope.aggregate_version
            if isinstance(message, SupportMessagePosted | SupportReplied):
                when = message.posted_at if isinstance(message, SupportMessagePosted) else message.replied_at
                row = rows.get(message.thread_id)
                if row is None:
                    rows.insert(message.thread_id, {"user_id": message.user_id, "status": "open", "message_count": 1,
                                                    "version": version, "created_at": when, "last_message_at": when,
                                                    "updated_at": at})
                else:
                    rows.update(message.thread_id, {"message_count": row["message_count"] + 1,
                                                    "last_message_at": when, "updated_at": at}, version)
                continue
            values: dict | None = None
            if isinstance(message, SupportThreadAssigned):
                values = {"assignee_id": message.assignee_id}
            elif isinstance(message, SupportThreadClosed):
                values = {"status": "closed"}
            elif isinstance(message, SupportThreadReopened):
                values = {"status": "open"}
            if values is not None:
                rows.update(message.thread_id, {**values, "updated_at": at}, version)
        rows.write(cur)
