"""Public events → notification rows (the outbox), exactly once per (event, recipient, kind, channel).

A projection over users/events/bookings/payments topics: the projector applies each message and records
its Kafka position in the same transaction, and skips events older than the last one applied per
aggregate (a relay re-publish). The rows' unique key (source event id, user, kind, channel) and their
deterministic ids make any other repeat a no-op too. Nothing is sent here: the sender (delivery.sender)
renders and delivers rows later, so a slow or down SMTP server never holds up consumption.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from psycopg import Cursor
from psycopg.types.json import Jsonb
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from contracts import Envelope, topics
from spine.projector import SqlProjection

from notifications_service.domain.triggers import Trigger, triggers_for
from notifications_service.projections.tables import LIVE_BOOKING_STATUSES, bookings_view
from notifications_service.storage.notifications import notifications
from notifications_service.storage.preferences import preferences
from notifications_service.storage.sql import create_tables, run

log = logging.getLogger("notifications.triggers")

CHANNELS = ("in_app", "email")


def notification_id(source_event_id: UUID, user_id: UUID | str, kind: str, channel: str) -> UUID:
    """Deterministic: a repeated trigger finds the row it already made."""
    return uuid5(NAMESPACE_URL, f"/notifications/{source_event_id}/{user_id}/{kind}/{channel}")


class NotificationTriggers(SqlProjection):
    """Makes the notification rows each public message calls for."""

    name = "notification_triggers"

    def __init__(self, users_topic: str = topics.USERS, events_topic: str = topics.EVENTS,
                 bookings_topic: str = topics.BOOKINGS, payments_topic: str = topics.PAYMENTS,
                 extra_topics: tuple[str, ...] = (), max_age: timedelta | None = timedelta(hours=72)):
        # extra_topics: where the support/review types come from once they exist (notifications.v1, events.v1).
        # max_age: older events notify nobody, so a replay from offset 0 (a reset position, a new consumer
        # group) cannot mail the platform's whole history again.
        self.max_age = max_age
        self.topics = tuple(dict.fromkeys((users_topic, events_topic, bookings_topic, payments_topic,
                                           *extra_topics)))

    def create_schema(self, cur: Cursor) -> None:
        create_tables(cur, notifications, preferences)

    def reset(self, cur: Cursor) -> None:
        """Nothing to empty: notifications are history, not a view (a replay finds its rows and adds none,
        and events older than `max_age` notify nobody)."""

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if self.max_age is not None and envelope.occurred_at < datetime.now(UTC) - self.max_age:
            return
        for trigger in triggers_for(envelope.type, envelope.payload):
            for user_id, booking_id in self._recipients(cur, trigger):
                self._insert(cur, envelope, trigger, user_id, booking_id)

    @staticmethod
    def _recipients(cur: Cursor, trigger: Trigger) -> list[tuple[Any, Any]]:
        if trigger.attendees_of is None:
            return [(trigger.user_id, trigger.booking_id)]
        b = bookings_view
        rows = run(cur, select(b.c.user_id, b.c.booking_id).where(
            b.c.event_id == trigger.attendees_of, b.c.status.in_(LIVE_BOOKING_STATUSES))
            .order_by(b.c.created_at, b.c.booking_id)).fetchall()
        seen: dict[Any, Any] = {}
        for user_id, booking_id in rows:
            seen.setdefault(user_id, booking_id)  # one message per person, about their first booking
        return list(seen.items())

    @staticmethod
    def _insert(cur: Cursor, envelope: Envelope, trigger: Trigger, user_id: Any, booking_id: Any) -> None:
        opted_out = run(cur, select(preferences.c.category).where(
            preferences.c.user_id == user_id, preferences.c.category == trigger.category)).fetchone() is not None
        data = {**trigger.data, "booking_id": str(booking_id) if booking_id else None,
                "event_id": str(trigger.event_id) if trigger.event_id else None,
                "calendar": trigger.calendar, "sequence": envelope.aggregate_version,
                "occurred_at": envelope.occurred_at.isoformat()}
        for channel in CHANNELS:
            status = "skipped" if channel == "email" and opted_out else "pending"
            run(cur, insert(notifications).values(
                notification_id=notification_id(envelope.event_id, user_id, trigger.kind, channel),
                user_id=user_id, kind=trigger.kind, category=trigger.category, channel=channel,
                source_event_id=envelope.event_id, source_type=envelope.type, data=Jsonb(data), status=status,
            ).on_conflict_do_nothing())
