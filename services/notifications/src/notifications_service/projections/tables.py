"""Tables of the local views (SQLAlchemy Core): who the users are, what the events and bookings are.

The mailings' audience filters query these (event_id, booking_status, is_paid, role, registered_before/
after), the sender reads recipients' addresses and locales from them, and the calendar route reads
bookings and events. All of it is rebuilt from users.v1, events.v1 and bookings.v1; nothing here comes
from calling another service.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from notifications_service.storage.sql import metadata

users_view = Table(
    "notify_users_view", metadata,
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("locale", Text),                    # ru | en; None = the deployment's default
    Column("role", Text, nullable=False),      # the user's role (one per user in this system)
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="false"),
)
Index("notify_users_view_role", users_view.c.role)
Index("notify_users_view_registered", users_view.c.registered_at)

events_view = Table(
    "notify_events_view", metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("title", Text, nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("end_time", DateTime(timezone=True), nullable=False),
    Column("place", Text),                     # events carry no place yet; a `location`/`place` change fills it
    Column("organizer_id", UUID(as_uuid=True), nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("is_paid", Boolean, nullable=False),
    Column("cancelled", Boolean, nullable=False, server_default="false"),
    # The ICS SEQUENCE: aggregate version of the last change of time/place (or the cancellation).
    Column("schedule_version", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

bookings_view = Table(
    "notify_bookings_view", metadata,
    Column("booking_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    # pending | awaiting_payment | confirmed | waitlisted | cancelled | rejected | expired
    Column("status", Text, nullable=False),
    Column("is_paid", Boolean, nullable=False, server_default="false"),   # a payment for it succeeded
    Column("group_size", Integer, nullable=False, server_default="1"),
    Column("payment_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("notify_bookings_view_event", bookings_view.c.event_id, bookings_view.c.status)
Index("notify_bookings_view_user", bookings_view.c.user_id)

LIVE_BOOKING_STATUSES = ("pending", "awaiting_payment", "confirmed", "waitlisted")
