"""The seat handler on real PostgreSQL, fed as the Kafka consumer feeds it (spine's HandlerSink, no broker)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from pydantic import ValidationError

from contracts import Envelope, parse_payload, wrap
from contracts.events import ReleaseSeats, ReserveSeats
from spine.eventstore import postgres_env
from spine.handlers import HandlerSink
from spine.testing import fresh_database

from events_service import domain, public
from events_service.application import Events
from events_service.consumers.seats import SeatsHandler
from events_service.domain import Actor, EventDetails
from events_service.settings import Settings

pytestmark = pytest.mark.integration

TOPIC = "events.commands.test"
ORGANIZER = Actor(uuid4())


@pytest.fixture(scope="module")
def database():
    with fresh_database("events_seats") as name:
        yield name


@pytest.fixture
def app(database):
    events = Events(env=postgres_env(database, Settings(database=database)))
    yield events
    events.close()


@pytest.fixture
def sink(app):
    return HandlerSink(SeatsHandler(app, TOPIC), app)


class Feed:
    """Hands messages to the sink at increasing offsets of one partition, like the consumer does."""

    def __init__(self, sink: HandlerSink, partition: int):
        self.sink, self.partition, self.offset = sink, partition, 0

    def deliver(self, *envelopes: Envelope | None) -> list[tuple[int, Envelope | None]]:
        batch = [(self.offset + i, e) for i, e in enumerate(envelopes)]
        self.offset += len(batch)
        self.sink.apply(TOPIC, self.partition, batch)
        return batch


_partitions = iter(range(1000))


@pytest.fixture
def feed(sink):
    return Feed(sink, next(_partitions))  # each test its own partition: its own positions


def schedule(app: Events, capacity: int, **overrides) -> UUID:
    details = EventDetails(title="Meetup", start_time=datetime.now(UTC) + timedelta(days=3), duration_minutes=60,
                           max_participants=capacity, **overrides)
    return app.schedule_event(details, created_by=ORGANIZER.user_id).id


def reserve(event_id: UUID, seats: int, booking: UUID | None = None, attempt: int = 1, **cause) -> Envelope:
    command = ReserveSeats(event_id=event_id, booking_id=booking or uuid4(), seats=seats, user_id=uuid4(),
                           attempt=attempt)
    return wrap(command, aggregate_id=str(event_id), **cause)


def release(event_id: UUID, booking: UUID) -> Envelope:
    return wrap(ReleaseSeats(event_id=event_id, booking_id=booking, reason="user"), aggregate_id=str(event_id))


def published(app: Events, after: int = 0) -> list[Envelope]:
    """What the relay would publish on events.v1 for everything stored after notification `after`."""
    notifications = app.recorder.select_notifications(start=after, limit=100_000, inclusive_of_start=False)
    envelopes = [public.to_envelope(app.mapper.to_domain_event(n), app.name) for n in notifications]
    return [e for e in envelopes if e is not None]


def seat_answers(app: Events, after: int = 0) -> list[tuple]:
    out = []
    for envelope in published(app, after):
        if envelope.type.startswith("Seats"):
            p = parse_payload(envelope)
            out.append((envelope.type, p.event_id, p.booking_id, p.seats, p.seats_available,
                        getattr(p, "reason", None)))
    return out


def test_a_mixed_batch_is_applied_in_order_for_each_event(app, feed):
    concert, cancelled, missing = schedule(app, 5), schedule(app, 10), uuid4()
    app.cancel_event(cancelled, actor=ORGANIZER)
    start = app.recorder.max_notification_id()
    b1, b2, b3, b4, b5 = (uuid4() for _ in range(5))
    feed.deliver(
        reserve(concert, 2, b1),
        reserve(cancelled, 1, b2),
        reserve(concert, 3, b3),
        reserve(concert, 1, b4),  # full
        release(concert, b1),
        reserve(concert, 1, b4, attempt=2),  # promoted: fits now
        reserve(missing, 2, b5),
        release(missing, b5),  # nothing is ever held there
    )
    answers = seat_answers(app, start)
    # Order is kept per event (the Kafka key); events of different keys have no order between them.
    assert [a for a in answers if a[1] == concert] == [
        ("SeatsReserved", concert, b1, 2, 3, None),
        ("SeatsReserved", concert, b3, 3, 0, None),
        ("SeatsRejected", concert, b4, 1, 0, "full"),
        ("SeatsReleased", concert, b1, 2, 2, None),
        ("SeatsReserved", concert, b4, 1, 1, None),
    ]
    assert [a for a in answers if a[1] != concert] == [
        ("SeatsRejected", cancelled, b2, 1, 10, "event_cancelled"),
        ("SeatsRejected", missing, b5, 2, 0, "unknown_event"),
    ]
    assert app.get_event(concert).seats_available == 1
    unknown = [e for e in published(app, start) if e.payload["event_id"] == str(missing)]
    assert [(e.aggregate_id, e.aggregate_version) for e in unknown] == [(str(missing), 0)]


def test_an_event_that_already_started_is_not_bookable(app):
    event_id = schedule(app, 5)
    start = app.recorder.max_notification_id()
    booking = uuid4()
    # The handler decides with the clock at handling time; the unit of work takes that time as `now`.
    batch = app.seat_batch(now=app.get_event(event_id).details.start_time + timedelta(minutes=1))
    batch.apply(domain.ReserveSeats(event_id, booking, 1))
    batch.save(Tracking("seats:clock-test", 0))
    assert seat_answers(app, start) == [("SeatsRejected", event_id, booking, 1, 5, "not_bookable")]


def test_redelivered_and_republished_commands_change_nothing(app, feed):
    event_id = schedule(app, 4)
    holder, other = uuid4(), uuid4()
    commands = [reserve(event_id, 2, holder), reserve(event_id, 3, other), release(event_id, holder),
                reserve(event_id, 2, holder, attempt=2)]
    batch = feed.deliver(*commands)
    before = app.recorder.max_notification_id()
    feed.sink.apply(TOPIC, feed.partition, batch)  # the consumer crashed before committing: same offsets
    feed.deliver(*commands)  # our bookings relay crashed before recording: same messages, new offsets
    feed.deliver(*commands[2:])  # and one by one
    assert app.recorder.max_notification_id() == before
    event = app.get_event(event_id)
    assert (event.holds(holder), event.holds(other), event.seats_available) == (2, 0, 2)


def test_a_bad_message_in_a_batch_leaves_nothing_half_applied(app, feed):
    event_id = schedule(app, 4)
    before = app.recorder.max_notification_id()
    poison = reserve(event_id, 1).model_copy(update={"payload": {"event_id": str(event_id), "seats": 0}})
    with pytest.raises(ValidationError):
        feed.deliver(reserve(event_id, 2), poison)
    assert app.recorder.max_notification_id() == before
    assert app.get_event(event_id).seats_available == 4


def test_each_answer_remembers_the_command_that_caused_it(app, feed):
    event_id = schedule(app, 4)
    start = app.recorder.max_notification_id()
    first = reserve(event_id, 1, correlation_id="booking-saga-1", actor_id="user-1")
    second = reserve(event_id, 9, correlation_id="booking-saga-2", actor_id="user-2")
    feed.deliver(first, second)
    answers = [e for e in published(app, start) if e.type.startswith("Seats")]
    assert [(a.correlation_id, a.causation_id, a.actor_id) for a in answers] == [
        ("booking-saga-1", str(first.event_id), "user-1"), ("booking-saga-2", str(second.event_id), "user-2")]


def test_unknown_and_unreadable_messages_only_advance_the_position(app, feed):
    from contracts.events import EventCancelled

    event_id = schedule(app, 4)
    stray = wrap(EventCancelled(event_id=event_id, cancelled_at=datetime.now(UTC)), aggregate_id=str(event_id))
    before = app.recorder.max_notification_id()
    (offset, _), = feed.deliver(stray)
    (unreadable, _), = feed.deliver(None)  # a message the consumer could not parse (sent to the DLQ)
    assert app.recorder.max_notification_id() == before
    assert app.process_recorder.max_tracking_id(f"seats:{TOPIC}:{feed.partition}") == unreadable == offset + 1


def test_a_2000_reservation_event_loads_fast(app, feed, database):
    event_id = schedule(app, 2500)
    started = time.perf_counter()
    for _ in range(4):
        feed.deliver(*(reserve(event_id, 1) for _ in range(500)))
    applied = time.perf_counter() - started
    fresh = Events(env=postgres_env(database, Settings(database=database)))  # empty cache: from the store
    try:
        started = time.perf_counter()
        event = fresh.get_event(event_id)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        fresh.get_event(event_id)
        warm = time.perf_counter() - started
    finally:
        fresh.close()
    assert (event.version, event.seats_available, len(event.reservations)) == (2001, 500, 2000)
    # One snapshot per saved batch (of the state just saved), not one per 50 events.
    assert [s.originator_version for s in app.snapshots.get(event_id)] == [501, 1001, 1501, 2001]
    print(f"\n2000 reservations applied in {applied:.2f} s; load cold {cold * 1000:.1f} ms, warm {warm * 1000:.1f} ms")
    assert cold < 0.5 and warm < 0.1
