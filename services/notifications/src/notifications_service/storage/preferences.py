"""The `notification_preferences` table: one row per (user, category) the user opted out of."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from notifications_service.storage.sql import metadata

preferences = Table(
    "notification_preferences", metadata,
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("category", Text, primary_key=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
