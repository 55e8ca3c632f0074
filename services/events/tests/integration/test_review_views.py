"""The attendance view (from bookings.v1) and the reviews/ratings views (from events.v1) on real PostgreSQL and Kafka.

Redelivery is what the spine does after a crash: the same offsets again (the consumer died before recording its
position), the same messages at new offsets (the bookings relay re-published them), or an old message late.
None of them may change what the views say.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from contracts import Envelope, wrap
from contracts.bookings import BookingCancelled, BookingConfirmed, BookingRequested
from contracts.topics import dlq
from spine.projector import ProjectionStore, apply_in_transaction
from spine.testing import create_topics, unique_topic

from events_service.domain import Event, EventDetails
from events_service.main import build_worker
from events_service.projections.attendance import Attendance, AttendanceProjection
from events_service.projections.reviews import ReviewsProjection
from events_service.testing import feed_reviews

pytestmark = pytest.mark.integration

TOPIC = "bookings.test"


def history(user_id: UUID, event_id: UUID, *, cancel: bool = False) -> list[Envelope]:
    booking_id = uuid4()
    ref = {"booking_id": booking_id, "event_id": event_id, "user_id": user_id}
    messages = [BookingRequested(**ref, group_size=1, requested_at=datetime.now(UTC)),
                BookingConfirmed(**ref, group_size=1)]
    if cancel:
        messages.append(BookingCancelled(**ref, reason="user"))
    return [wrap(m, aggregate_id=str(booking_id), aggregate_version=v) for v, m in enumerate(messages, start=1)]


def rows(conninfo: str) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT booking_id, event_id, user_id, status, version FROM event_bookings "
                            "ORDER BY booking_id").fetchall()


@pytest.fixture
def store(settings):
    store = ProjectionStore(settings.conninfo(settings.database))
    store.setup(AttendanceProjection(TOPIC))
    yield store
    store.close()


def test_the_attendance_view_is_unchanged_by_redelivered_republished_and_late_messages(settings, store, client):
    conninfo = settings.conninfo(settings.database)
    view = AttendanceProjection(TOPIC)
    attendance = Attendance(client.app.state.container.pool)
    event_id, stays, leaves = uuid4(), uuid4(), uuid4()
    kept, cancelled = history(stays, event_id), history(leaves, event_id, cancel=True)
    batch = list(enumerate(kept + cancelled))

    assert store.apply_batch(view, TOPIC, 0, batch) == 5
    after_first = rows(conninfo)
    assert {r[2]: (r[3], r[4]) for r in after_first} == {stays: ("confirmed", 2), leaves: ("cancelled", 3)}
    assert (attendance.confirmed(event_id, stays), attendance.confirmed(event_id, leaves)) == (True, False)

    assert store.apply_batch(view, TOPIC, 0, batch) == 0  # same offsets: the position says they were applied
    republished = [(len(batch) + i, e) for i, e in enumerate(kept + cancelled)]
    assert store.apply_batch(view, TOPIC, 0, republished) == 5  # new offsets, same events: versions say old
    late = [(2 * len(batch), cancelled[1])]  # "confirmed" of the cancelled booking, arriving after its cancel
    store.apply_batch(view, TOPIC, 0, late)
    apply_in_transaction(conninfo, view, kept + cancelled + [cancelled[1]])  # even without spine's claims

    assert rows(conninfo) == after_first
    assert (attendance.confirmed(event_id, stays), attendance.confirmed(event_id, leaves)) == (True, False)


def test_rebuilding_the_reviews_views_from_the_start_gives_the_same_ratings(client, settings, organizer, support):
    """Reset + replay (what `planner-ops replay` does) ends where the live views are."""
    app, conninfo = client.app.state.container.events, settings.conninfo(settings.database)
    start = datetime.now(UTC) - timedelta(hours=1)
    event = Event.schedule(EventDetails(title="Replayed", start_time=start, duration_minutes=30, max_participants=9),
                           created_by=organizer.user_id, now=start - timedelta(days=1))
    app.save(event)
    for stars in (2, 3, 5):
        review = app.submit_review(event.id, author_id=uuid4(), rating=stars, comment="ok", attended=True)
        app.approve_review(review.id, moderator_id=support.user_id)
    feed_reviews(app, conninfo)
    live = client.app.state.container.reviews.rating(event.id)

    ProjectionStore(conninfo).reset(ReviewsProjection())
    assert client.app.state.container.reviews.rating(event.id).count == 0
    feed_reviews(app, conninfo)

    assert client.app.state.container.reviews.rating(event.id) == live
    assert (live.count, live.average) == (3, 3.33)


@pytest.fixture
def topics_for_test():
    names = {"topic": unique_topic("events"), "users_topic": unique_topic("users"),
             "commands_topic": unique_topic("events-commands"), "bookings_topic": unique_topic("bookings")}
    create_topics(*names.values(), *(dlq(t) for t in names.values()), partitions=2)
    return names


def test_an_attendee_known_from_kafka_reviews_and_the_approval_reaches_the_catalogue(
        client, settings, organizer, participant, admin, topics_for_test):
    """bookings topic → attendance view → POST review → relay → events topic → reviews view → catalogue."""
    app = client.app.state.container.events
    start = datetime.now(UTC) - timedelta(minutes=5)
    event = Event.schedule(EventDetails(title="Kafka night", start_time=start, duration_minutes=30,
                                        max_participants=9), created_by=organizer.user_id, now=start - timedelta(1))
    app.save(event)
    url = f"/api/v1/events/{event.id}/reviews"

    async def until(probe, what: str, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while (result := await asyncio.to_thread(probe)) is None:
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
            await asyncio.sleep(0.1)
        return result

    async def scenario() -> None:
        worker = build_worker(settings, **topics_for_test)
        await worker.start()
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                    **settings.kafka_client_options())
        await producer.start()
        try:
            for envelope in history(participant.user_id, event.id) * 2:  # all of it twice: a re-publishing relay
                await producer.send_and_wait(topics_for_test["bookings_topic"], envelope.to_bytes(),
                                             key=envelope.kafka_key())

            def submitted():
                r = client.post(url, json={"rating": 4, "comment": "Worth it"}, headers=participant.headers)
                assert r.status_code in (201, 403), r.text  # 403 until the attendance view has the booking
                return r.json() if r.status_code == 201 else None

            review = await until(submitted, "the attendee's review accepted")
            decided = await asyncio.to_thread(client.post, f"/api/v1/reviews/{review['id']}/approve",
                                              headers=admin.headers)
            assert decided.status_code == 200, decided.text

            def rated():
                shown = client.get(f"/api/v1/events/{event.id}").json()
                return shown if shown["rating_count"] else None

            shown = await until(rated, "the rating in the catalogue")
            assert (shown["rating_avg"], shown["rating_count"]) == (4.0, 1)
            listed = (await asyncio.to_thread(client.get, url)).json()
            assert [(r["id"], r["status"]) for r in listed] == [(review["id"], "approved")]
        finally:
            await producer.stop()
            await worker.stop()

    asyncio.run(scenario())
