"""Seat commands through real Kafka: a rush of ReserveSeats never oversells, and every booking hears back."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import Envelope, parse_payload, wrap
from contracts.events import ReserveSeats
from contracts.topics import dlq
from spine.testing import create_topics, unique_topic

from events_service.bootstrap import build_events
from events_service.domain import EventDetails
from events_service.main import build_worker

pytestmark = pytest.mark.integration

CAPACITY, REQUESTS = 50, 200


@pytest.fixture
def topics_for_test():
    commands, events, users = unique_topic("events-commands"), unique_topic("events"), unique_topic("users")
    create_topics(commands, dlq(commands), events, dlq(events), users, dlq(users), partitions=3)
    return commands, events, users


async def publish_concurrently(settings, topic: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                **settings.kafka_client_options())
    await producer.start()
    try:
        await asyncio.gather(*(producer.send_and_wait(topic, e.to_bytes(), key=e.kafka_key()) for e in envelopes))
    finally:
        await producer.stop()


async def answers_for(settings, topic: str, bookings: set, timeout: float = 30.0) -> list[Envelope]:
    """Seat answers read back from the events topic until every booking got one (or the timeout)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **settings.kafka_client_options())
    await consumer.start()
    seen: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while {e.payload["booking_id"] for e in seen} < bookings and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen += [env for r in records if (env := Envelope.from_bytes(r.value)).type.startswith("Seats")]
    finally:
        await consumer.stop()
    return seen


def catalogue_seats(settings, event_id) -> int | None:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        row = conn.execute("SELECT seats_available FROM catalogue WHERE event_id = %s", (event_id,)).fetchone()
    return None if row is None else row[0]


def test_a_rush_of_200_requests_for_50_seats_never_oversells(settings, topics_for_test):
    commands_topic, events_topic, users_topic = topics_for_test
    app = build_events(settings)
    details = EventDetails(title="Sold out show", start_time=datetime.now(UTC) + timedelta(days=1),
                           duration_minutes=90, max_participants=CAPACITY)
    event_id = app.schedule_event(details, created_by=uuid4()).id
    app.close()
    rng = random.Random(3)
    requests = [wrap(ReserveSeats(event_id=event_id, booking_id=uuid4(), seats=rng.randint(1, 3), user_id=uuid4()),
                     aggregate_id=str(event_id)) for _ in range(REQUESTS)]
    missing = uuid4()
    lost = wrap(ReserveSeats(event_id=missing, booking_id=uuid4(), seats=1, user_id=uuid4()),
                aggregate_id=str(missing))
    # Ten requests arrive twice (a bookings relay re-published them after a crash).
    messages = [*requests, lost, *requests[:10]]
    rng.shuffle(messages)
    bookings = {str(e.payload["booking_id"]) for e in [*requests, lost]}

    async def scenario() -> list[Envelope]:
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic, commands_topic=commands_topic)
        await worker.start()
        try:
            await publish_concurrently(settings, commands_topic, messages)
            answers = await answers_for(settings, events_topic, bookings)
            deadline = time.monotonic() + 15  # the catalogue reads the same topic in its own consumer
            final = min(e.payload["seats_available"] for e in answers if e.aggregate_id == str(event_id))
            while catalogue_seats(settings, event_id) != final and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert catalogue_seats(settings, event_id) == final
            return answers
        finally:
            await worker.stop()

    answers = asyncio.run(scenario())

    by_booking: dict[str, list[Envelope]] = {}
    for answer in answers:
        by_booking.setdefault(answer.payload["booking_id"], []).append(answer)
    assert set(by_booking) == bookings
    assert all(len(a) == 1 for a in by_booking.values()), "a duplicate command was answered twice"

    (unknown,) = by_booking[str(lost.payload["booking_id"])]
    assert (unknown.aggregate_id, parse_payload(unknown).reason) == (str(missing), "unknown_event")

    # Walk the event's answers in its order: every count adds up, and nobody was refused a seat that was free.
    ours = sorted((a for a in answers if a.aggregate_id == str(event_id)), key=lambda a: a.aggregate_version)
    available = CAPACITY
    for answer in ours:
        p = parse_payload(answer)
        if answer.type == "SeatsReserved":
            available -= p.seats
            assert p.seats_available == available >= 0
        else:
            assert (p.reason, p.seats_available) == ("full", available) and p.seats > available
    reserved = sum(parse_payload(a).seats for a in ours if a.type == "SeatsReserved")
    assert reserved == CAPACITY - available <= CAPACITY
    assert available < 3  # 200 requests of 1-3 seats fill 50 seats up to at most a 1-2 seat gap
