"""Public events → notification rows (the outbox), exactly once per (event, recipient, kind, channel).

A projection over users/events/bookings/payments topics: the projector applies each message and records
its Kafka position in the same transaction, and skips events older than the last one applied per
aggregate (a relay re-publish). The rows' unique key (source event id, user, kind, channel) and their
deterministic ids make any other repeat a no-op too. Nothing is sent here: the sender (delivery.sender)
renders and delivers rows later, so a slow or down SMTP server never holds up consumption.

A batch costs one look-up of its recipients' opt-outs and one multi-row INSERT … ON CONFLICT DO NOTHING
(rows as one JSON parameter), plus one attendee query per event-wide message, whatever its size.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from psycopg import Cursor
from sqlalchemy import bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from contracts import Envelope, topics
from spine.projector import SqlProjection
from spine.views import execute

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
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        made: list[tuple[Envelope, Trigger, Any, Any]] = []
        oldest = datetime.now(UTC) - self.max_age if self.max_age is not None else None
        for envelope in envelopes:
            if oldest is not None and envelope.occurred_at < oldest:
                continue
            for trigger in triggers_for(envelope.type, envelope.payload):
                made += [(envelope, trigger, user_id, booking_id)
                         for user_id, booking_id in self._recipients(cur, trigger)]
        if not made:
            return
        opted_out = self._opted_out(cur, {_uuid(user_id) for _, _, user_id, _ in made})
        rows: dict[UUID, dict[str, Any]] = {}
        for envelope, trigger, user_id, booking_id in made:
            for row in self._rows(envelope, trigger, user_id, booking_id,
                                  (_uuid(user_id), trigger.category) in opted_out):
                rows.setdefault(row["notification_id"], row)  # the first wins, as the unique key would have it
        execute(cur, _INSERT, {"rows": json.dumps(list(rows.values()), default=str)})

    @staticmethod
    def _opted_out(cur: Cursor, users: set[UUID]) -> set[tuple[UUID, str]]:
        """(user, category) pairs whose e-mail the users turned off."""
        found = execute(cur, _OPT_OUTS, {"users": sorted(users)}).fetchall()
        return {(row[0], row[1]) if isinstance(row, tuple) else (row["user_id"], row["category"]) for row in found}

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
    def _rows(envelope: Envelope, trigger: Trigger, user_id: Any, booking_id: Any,
              opted_out: bool) -> list[dict[str, Any]]:
        """The in-app and e-mail rows of one trigger for one recipient (e-mail `skipped` after an opt-out)."""
        data = {**trigger.data, "booking_id": str(booking_id) if booking_id else None,
                "event_id": str(trigger.event_id) if trigger.event_id else None,
                "calendar": trigger.calendar, "sequence": envelope.aggregate_version,
                "occurred_at": envelope.occurred_at.isoformat()}
        return [{"notification_id": notification_id(envelope.event_id, user_id, trigger.kind, channel),
                 "user_id": str(user_id), "kind": trigger.kind, "category": trigger.category, "channel": channel,
                 "source_event_id": str(envelope.event_id), "source_type": envelope.type, "data": data,
                 "status": "skipped" if channel == "email" and opted_out else "pending"}
                for channel in CHANNELS]


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


_COLUMNS = ("notification_id", "user_id", "kind", "category", "channel", "source_event_id", "source_type", "data",
            "status")
_SOURCE = func.jsonb_populate_recordset(literal_column("NULL::notifications"),
                                        cast(bindparam("rows"), JSONB)).table_valued(*_COLUMNS, name="r")
# New rows of a batch (one JSON array); a row already made (same id / unique key) is left as it is.
_INSERT = (insert(notifications).from_select(list(_COLUMNS), select(*(_SOURCE.c[n] for n in _COLUMNS)))
           .on_conflict_do_nothing())
_OPT_OUTS = select(preferences.c.user_id, preferences.c.category).where(
    preferences.c.user_id == func.any(cast(bindparam("users"), ARRAY(PG_UUID(as_uuid=True)))))
