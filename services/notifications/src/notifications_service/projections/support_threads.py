"""The support threads view (GET /api/v1/support/threads): one row per thread, from `notifications.v1`.

Built from the service's own public support messages, like every other read model. Each row keeps the
thread version it last applied and ignores anything not newer, so a redelivered message bumps nothing. A thread's
messages are read from the event store itself (GET /threads/{id}), so this view holds only what lists need.
"""

from __future__ import annotations

from contracts import Envelope, parse_payload, topics
from contracts.support import (
    SupportMessagePosted, SupportReplied, SupportThreadAssigned, SupportThreadClosed, SupportThreadReopened,
)
from psycopg import Cursor
from spine.projector import SqlProjection
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, Table, Text, delete, update
from sqlalchemy.dialects.postgresql import UUID, insert

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
        message = parse_payload(envelope)
        t = support_threads_view
        at, version = envelope.occurred_at, envelope.aggregate_version
        if isinstance(message, SupportMessagePosted | SupportReplied):
            when = message.posted_at if isinstance(message, SupportMessagePosted) else message.replied_at
            run(cur, insert(t).values(thread_id=message.thread_id, user_id=message.user_id, status="open",
                                      message_count=1, version=version, created_at=when, last_message_at=when,
                                      updated_at=at)
                .on_conflict_do_update(index_elements=[t.c.thread_id],
                                       set_={"message_count": t.c.message_count + 1, "last_message_at": when,
                                             "updated_at": at, "version": version},
                                       where=t.c.version < version))
            return
        values: dict | None = None
        if isinstance(message, SupportThreadAssigned):
            values = {"assignee_id": message.assignee_id}
        elif isinstance(message, SupportThreadClosed):
            values = {"status": "closed"}
        elif isinstance(message, SupportThreadReopened):
            values = {"status": "open"}
        if values is not None:
            run(cur, update(t).where(t.c.thread_id == message.thread_id, t.c.version < version)
                .values(**values, updated_at=at, version=version))
