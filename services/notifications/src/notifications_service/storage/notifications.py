"""The `notifications` table: the service's durable outbox and every user's inbox.

One row per (triggering event, recipient, kind, channel), inserted in the same transaction as the Kafka
position of the message that caused it (see consumers.triggers), so a redelivered message finds its row
and adds nothing. The sender (delivery.sender) renders pending rows and sends the e-mail ones.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notifications_service.storage.sql import metadata

notifications = Table(
    "notifications", metadata,
    Column("notification_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),          # booking_confirmed, waitlisted, ... (domain.kinds)
    Column("category", Text, nullable=False),      # account | booking | payment | mailings | reviews | support
    Column("channel", Text, nullable=False),       # email | in_app
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    Column("source_type", Text, nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("locale", Text),
    Column("subject", Text),
    Column("body", Text),
    Column("html", Text),
    Column("recipient", Text),                     # the e-mail address it went to
    # pending (not yet rendered / not yet sent), sent (e-mail accepted by SMTP), delivered (in-app),
    # failed (gave up: see last_error), skipped (the user opted out of this category's e-mail).
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("source_event_id", "user_id", "kind", "channel", name="notifications_once"),
)
Index("notifications_inbox", notifications.c.user_id, notifications.c.created_at.desc())
Index("notifications_due", notifications.c.next_attempt_at, postgresql_where=text("status = 'pending'"))
