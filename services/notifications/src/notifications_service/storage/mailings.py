"""The `mailings` and `mailing_recipients` tables: a mailing's durable schedule and every recipient's delivery.

A mailing row is written by the api (status `scheduled`); the worker's sender (delivery.mailing_sender)
claims it when due and, in that same transaction, materialises its audience into `mailing_recipients`
(one row per (mailing, user), so a recipient can be listed only once). Each recipient row then goes
`pending` → `sent` | `failed`; the counts of GET /api/v1/mailings/{id} are counts of these rows.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notifications_service.storage.sql import create_tables, metadata

mailings = Table(
    "mailings", metadata,
    Column("mailing_id", UUID(as_uuid=True), primary_key=True),
    Column("author_id", UUID(as_uuid=True), nullable=False),
    Column("author_role", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("category", Text, nullable=False, server_default=text("'mailings'")),  # opt-outs are per category
    Column("filters", JSONB, nullable=False),
    # scheduled → sending → completed; scheduled → cancelled.
    Column("status", Text, nullable=False, server_default=text("'scheduled'")),
    Column("scheduled_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("audience", Integer),                  # recipients materialised when sending started
)
Index("mailings_due", mailings.c.scheduled_at, postgresql_where=text("status in ('scheduled', 'sending')"))
Index("mailings_author", mailings.c.author_id, mailings.c.created_at.desc())

recipients = Table(
    "mailing_recipients", metadata,
    Column("mailing_id", UUID(as_uuid=True), primary_key=True),   # (mailing, user): each person once
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False),                         # the address when sending started
    Column("full_name", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),  # after a failed attempt: the backoff (NULL: now)
)
Index("mailing_recipients_pending", recipients.c.mailing_id, postgresql_where=text("status = 'pending'"))


def ensure_mailing_tables(conninfo: str) -> None:
    """CREATE IF NOT EXISTS both tables (api and worker call it at start-up, under the schema lock)."""
    with psycopg.connect(conninfo) as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('projection_schema'))")
        create_tables(cur, mailings, recipients)
        # Added after the first release (the retry backoff); CREATE TABLE IF NOT EXISTS does not add it.
        cur.execute("ALTER TABLE mailing_recipients ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz")
