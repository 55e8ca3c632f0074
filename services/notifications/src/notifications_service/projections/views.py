"""Projections that keep the local views (projections.tables) up to date from users/events/bookings topics.

Each applies a batch in the projector's transaction with the messages' positions (its rows read once,
changed in memory message by message, written back with one UPDATE and one INSERT: `spine.views.Rows`),
and the projector skips events of an aggregate older than the last one applied, so redelivery and relay
re-publishes are no-ops. Upserts make each view independent of message order across topics. A view looks at the message
type first and parses only the payloads it uses (most of a topic's traffic is other types).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, SupportsInt

from psycopg import Cursor
from sqlalchemy import Table

from contracts import Envelope, parse_payload, topics
from contracts.bookings import (
    BookingAwaitingPayment,
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingLatePaymentAccepted,
    BookingPromoted,
    BookingRejected,
    BookingRequested,
    BookingWaitlisted,
)
from contracts.events import EventCancelled, EventCreated, EventUpdated
from contracts.users import UserDisabled, UserEnabled, UserProfileUpdated, UserRegistered, UserRoleChanged
from spine.projector import SqlProjection
from spine.views import Rows, View

from notifications_service.domain.schedule import SCHEDULE_FIELDS, as_datetime, place_of
from notifications_service.projections.tables import bookings_view, events_view, users_view


def _types(*models: type) -> frozenset[str]:
    return frozenset(model.message_type for model in models)  # type: ignore[attr-defined]


class _LocalView(View):
    """A view of one table of the service's shared MetaData (so not `View.metadata`'s every table)."""

    table: ClassVar[Table]
    handles: ClassVar[frozenset[str]]  # the message types it applies; others are skipped unparsed

    @property
    def tables(self) -> list[Table]:
        return [self.table]

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def parsed(self, envelopes: list[Envelope]) -> list[tuple[Envelope, Any]]:
        """The messages of the types this view applies, parsed (others are skipped unparsed)."""
        return [(e, parse_payload(e)) for e in envelopes if e.type in self.handles]


class UsersView(_LocalView):
    """E-mail, name, locale, role and registration time of every user."""

    name = "notify_users_view"
    version = 1
    table = users_view
    handles = _types(UserRegistered, UserRoleChanged, UserDisabled, UserEnabled, UserProfileUpdated)

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        messages = self.parsed(envelopes)
        rows = Rows(cur, users_view, [m.user_id for _, m in messages])
        for _, message in messages:
            if isinstance(message, UserRegistered):
                values = {"email": message.email, "full_name": message.full_name, "role": message.role,
                          "registered_at": message.registered_at, "locale": message.locale}
                _upsert(rows, message.user_id, values, {"disabled": False})
            elif isinstance(message, UserRoleChanged):
                rows.update(message.user_id, {"role": message.role})
            elif isinstance(message, UserDisabled):
                rows.update(message.user_id, {"disabled": True})
            elif isinstance(message, UserEnabled):
                rows.update(message.user_id, {"disabled": False})
            elif isinstance(message, UserProfileUpdated) and message.locale is not None:
                rows.update(message.user_id, {"locale": message.locale})
        rows.write(cur)


class EventsView(_LocalView):
    """Title, time, place and organizer of every event, and its ICS sequence."""

    name = "notify_events_view"
    version = 1
    table = events_view
    handles = _types(EventCreated, EventUpdated, EventCancelled)

    def __init__(self, topic: str = topics.EVENTS):
        self.topics = (topic,)

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        messages = self.parsed(envelopes)
        rows = Rows(cur, events_view, [m.event_id for _, m in messages])
        for envelope, message in messages:
            if isinstance(message, EventCreated):
                values = {"title": message.title, "start_time": message.start_time,
                          "end_time": message.start_time + timedelta(minutes=message.duration_minutes),
                          "place": getattr(message, "location", None), "organizer_id": message.created_by,
                          "max_participants": message.max_participants, "is_paid": message.is_paid,
                          "schedule_version": envelope.aggregate_version, "updated_at": envelope.occurred_at}
                _upsert(rows, message.event_id, values, {"cancelled": False})
            elif isinstance(message, EventUpdated):
                row = rows.get(message.event_id)
                if row is not None:
                    rows.update(message.event_id, _changed(row, message, envelope))
            elif isinstance(message, EventCancelled):
                rows.update(message.event_id, {"cancelled": True, "schedule_version": envelope.aggregate_version,
                                               "updated_at": envelope.occurred_at})
        rows.write(cur)


def _int(value: object) -> int:
    """A number from an update's free-form `changes` (what `int()` takes; anything else is a TypeError)."""
    if isinstance(value, str | SupportsInt):
        return int(value)
    raise TypeError(f"not a number: {value!r}")


def _changed(row: dict, message: EventUpdated, envelope: Envelope) -> dict:
    """The columns an EventUpdated changes, given the event's row as it is."""
    changes = message.changes
    values: dict = {"updated_at": envelope.occurred_at}
    if "title" in changes:
        values["title"] = str(changes["title"])
    if "max_participants" in changes:
        values["max_participants"] = _int(changes["max_participants"])
    start, end = row["start_time"], row["end_time"]
    if "start_time" in changes or "duration_minutes" in changes:
        duration = end - start
        if "start_time" in changes:
            start = as_datetime(changes["start_time"])
        if "duration_minutes" in changes:
            duration = timedelta(minutes=_int(changes["duration_minutes"]))
        values |= {"start_time": start, "end_time": start + duration}
    if (place := place_of(changes)) is not None:
        values["place"] = place
    if SCHEDULE_FIELDS & changes.keys():
        values["schedule_version"] = envelope.aggregate_version
    return values


_STATUS: dict[type, str] = {
    BookingRequested: "pending", BookingAwaitingPayment: "awaiting_payment", BookingConfirmed: "confirmed",
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

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        messages = [(e, m) for e, m in self.parsed(envelopes) if type(m) in _STATUS]
        rows = Rows(cur, bookings_view, [m.booking_id for _, m in messages])
        for envelope, message in messages:
            values: dict = {"status": _STATUS[type(message)], "updated_at": envelope.occurred_at}
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
            _upsert(rows, message.booking_id, values, {"event_id": message.event_id, "user_id": message.user_id,
                                                       "created_at": envelope.occurred_at, "is_paid": False,
                                                       "group_size": 1})
        rows.write(cur)


def _upsert(rows: Rows, key: Any, values: dict, new_only: dict) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET `values`: `new_only` (with the columns' defaults) for a new row."""
    if rows.get(key) is None:
        rows.insert(key, {**new_only, **values})
    else:
        rows.update(key, values)


def all_views() -> tuple[SqlProjection, ...]:
    """The three local views, reading the production topics."""
    return UsersView(), EventsView(), BookingsView()
