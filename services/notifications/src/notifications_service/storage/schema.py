"""Creates the service's own tables (not the projections': the projector creates those with their views)."""

from __future__ import annotations

import psycopg

from notifications_service.storage import notifications, preferences  # noqa: F401 - registers the tables
from notifications_service.storage.sql import create_tables

OWN_TABLES = (notifications.notifications, preferences.preferences)


def ensure_schema(conninfo: str) -> None:
    """CREATE IF NOT EXISTS the outbox and preferences (api and worker both call it at start-up)."""
    with psycopg.connect(conninfo) as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('projection_schema'))")
        create_tables(cur, *OWN_TABLES)
