"""Projections that keep the local views (projections.tables) up to date from users/events/bookings topics.

Each applies one message in the projector's transaction with the message's position, and the projector
skips events of an aggregate older than the last one applied, so redelivery and relay re-publishes are
no-ops. Upserts make each view independent of message order across topics. A view looks at the message
type first and parses only the payloads it uses (most of a topic's traffic is other types).
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from contracts import Envelope, parse_payload, topics
from contracts.bookings import (
    BookingAwaitingPayment, BookingCancelled, BookingConfirmed, BookingExpired, BookingLatePaymentAccepted,
    BookingPromoted, BookingRejected, BookingRequested, BookingWaitlisted,
)
from contracts.events import EventCancelled, EventCreated, EventUpdated
from contracts.users import UserDisabled, UserEnabled, UserProfileUpdated, UserRegistered, UserRoleChanged
from psycopg import Cursor
from spine.projector import SqlProjection
from spine.views import View
from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert

from notifications_service.domain.schedule import SCHEDULE_FIELDS, as_datetime, place_of
from notifications_service.projections.tables import bookings_view, events_view, users_view
from notifications_service.storage.sql import run


def _types(*models: type) -> frozenset[str]:
    return frozenset(model.message_type for model in models)  # type: ignore[attr-defined]


class _LocalView(View):
    """A view of one table of the service's shared MetaData (so not `View.metadata`'s every table)."""

    table: ClassVar[Table]
    handles: ClassVar[frozenset[str]]  # the message types it applies; others are skipped unparsed

    @property
    def tables(self) -> list[Table]:
        return [self.table]


class UsersView(_LocalView):
    """E-mail, name, locale, role and registration time of every user."""

    name = "notify_users_view"
    version = 1
    table = users_view
    handles = _types(UserRegistered, UserRoleChanged, UserDisabled, UserEnabled, UserProfileUpdated)

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.type not in self.handles:
            return
        message = parse_payload(envelope)
        t = users_view
        if isinstance(message, UserRegistered):
            values = {"email": message.email, "full_name": message.full_name, "role": message.role,
                      "registered_at": message.registered_at, "locale": message.locale}
            run(cur, insert(t).values(user_id=message.user_id, **values)
                .on_conflict_do_update(index_elements=[t.c.user_id], set_=values))
        elif isinstance(message, UserRoleChanged):
            run(cur, update(t).where(t.c.user_id == message.user_id).values(role=message.role))
        elif isinstance(message, UserDisabled):
            run(cur, update(t).where(t.c.user_id == message.user_id).values(disabled=True))
        elif isinstance(message, UserEnabled):
            run(cur, update(t).where(t.c.user_id == message.user_id).values(disabled=False))
        elif isinstance(message, UserProfileUpdated) and message.locale is not None:
            run(cur, update(t).where(t.c.user_id == message.user_id).values(locale=message.locale))


class EventsView(_LocalView):
    """Title, time, place and organizer of every event, and its ICS sequence."""

    name = "notify_events_view"
    version = 1
    table = events_view
    handles = _types(EventCreated, EventUpdated, EventCancelled)
    pipelined = False  # a change reads the event's current times back first

    def __init__(self, topic: str = topics.EVENTS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.type not in self.handles:
            return
        message = parse_payload(envelope)
        t = events_view
        if isinstance(message, EventCreated):
            values = {"title": message.title, "start_time": message.start_time,
                      "end_time": message.start_time + timedelta(minutes=message.duration_minutes),
                      "place": getattr(message, "location", None), "organizer_id": message.created_by,
                      "max_participants": message.max_participants, "is_paid": message.is_paid,
                      "schedule_version": envelope.aggregate_version, "updated_at": envelope.occurred_at}
            run(cur, insert(t).values(event_id=message.event_id, **values)
                .on_conflict_do_update(index_elements=[t.c.event_id], set_=values))
        elif isinstance(message, EventUpdated):
            row = run(cur, select(t).where(t.c.event_id == message.event_id)).fetchone()
            if row is None:
                return
            row = _row(cur, row)
            changes = message.changes
            values: dict = {"updated_at": envelope.occurred_at}
            if "title" in changes:
                values["title"] = str(changes["title"])
            if "max_participants" in changes:
                values["max_participants"] = int(changes["max_participants"])  # type: ignore[arg-type]
            start, end = row["start_time"], row["end_time"]
            if "start_time" in changes or "duration_minutes" in changes:
                duration = end - start
                if "start_time" in changes:
                    start = as_datetime(changes["start_time"])
                if "duration_minutes" in changes:
                    duration = timedelta(minutes=int(changes["duration_minutes"]))  # type: ignore[arg-type]
                values |= {"start_time": start, "end_time": start + duration}
            if (place := place_of(changes)) is not None:
                values["place"] = place
            if SCHEDULE_FIELDS & changes.keys():
                values["schedule_version"] = envelope.aggregate_version
            run(cur, update(t).where(t.c.event_id == message.event_id).values(**values))
        elif isinstance(message, EventCancelled):
            run(cur, update(t).where(t.c.event_id == message.event_id)
                .values(cancelled=True, schedule_version=envelope.aggregate_version,
                        updated_at=envelope.occurred_at))


_STATUS = {BookingRequested: "pending", BookingAwaitingPayment: "awaiting_payment", BookingConfirmed: "confirmed",
           BookingWaitlisted: "waitlisted", BookingPromoted: "pending", BookingLatePaymentAccepted: "pending",
           BookingCancelled: "cancelled", BookingRejected: "rejected", BookingExpired: "expired"}


class BookingsView(_LocalView):
    """Status, paid or not, event and user of every booking."""

    name = "notify_bookings_view"
    version = 1
    table = bookings_view
    handles = _types(*_STATUS)

    def __init__(self, topic: str = topics.BOOKINGS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        if envelope.type not in self.handles:
            return
        message = parse_payload(envelope)
        status = _STATUS.get(type(message))
        if status is None:
            return
        t = bookings_view
        values: dict = {"status": status, "updated_at": envelope.occurred_at}
        if isinstance(message, BookingRequested):
            values["group_size"] = message.group_size
        if isinstance(message, BookingAwaitingPayment):
            values["payment_id"] = message.payment_id
        if isinstance(message, BookingConfirmed) and message.payment_id is not None:
            values |= {"payment_id": message.payment_id, "is_paid": True}
        if isinstance(message, BookingLatePaymentAccepted):
            values |= {"payment_id": message.payment_id, "is_paid": True}
        if isinstance(message, BookingCancelled) and message.refund_payment_id is not None:
            values["is_paid"] = False
        run(cur, insert(t).values(booking_id=message.booking_id, event_id=message.event_id,
                                  user_id=message.user_id, created_at=envelope.occurred_at, **values)
            .on_conflict_do_update(index_elements=[t.c.booking_id], set_=values))


def _row(cur: Cursor, row: object) -> dict:
    """A row as a dict whether the cursor makes tuples (projector) or dicts (api pool)."""
    if isinstance(row, dict):
        return row
    return {d.name: v for d, v in zip(cur.description, row, strict=True)}


def all_views() -> tuple[SqlProjection, ...]:
    """The three local views, reading the production topics."""
    return UsersView(), EventsView(), BookingsView()
