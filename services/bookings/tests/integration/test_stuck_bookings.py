"""No booking is stranded in `pending`: when the seat request got lost on the way (the events service never
answered), the worker's sweeper asks again with the same attempt, and the answer brings the booking to a
final state. Real PostgreSQL and Kafka; the events service's answers are produced as it would publish them."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from authkit.testing import caller
from contracts import Envelope, wrap
from contracts.events import SeatsReserved

from bookings_service.main import build_worker
from bookings_service.testing import event_created
from bookings_service.timers.deadlines import Deadlines

pytestmark = pytest.mark.integration

URL = "/api/v1/bookings/"


async def read(settings, topic: str, until, timeout: float = 30) -> list[Envelope]:
    """Read `topic` from the start until `until(envelopes)` holds."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None, **settings.kafka_client_options())
    await consumer.start()
    got: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(got):
            assert time.monotonic() < deadline, f"never happened on {topic}; saw {got}"
            for records in (await consumer.getmany(timeout_ms=300)).values():
                got.extend(Envelope.from_bytes(r.value) for r in records)
    finally:
        await consumer.stop()
    return got


async def eventually(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)


def test_a_booking_whose_seat_request_was_lost_is_redriven_to_a_final_state(client, settings, issuer, organizer,
                                                                             names):
    created = event_created(organizer=organizer.user_id, capacity=3)
    event_id = created.payload["event_id"]
    alice = caller(issuer, "participant")
    container = client.app.state.container
    sweeper = Deadlines(container.bookings, container.query, container.rules.current,
                        stuck_after=timedelta(minutes=2))

    def booking_status(booking_id: str) -> str:
        return client.get(f"{URL}{booking_id}", headers=alice.headers).json()["status"]

    def reserve_commands(envelopes, booking_id):
        return [e for e in envelopes if e.type == "ReserveSeats" and e.payload["booking_id"] == booking_id]

    async def scenario() -> None:
        worker = build_worker(settings, names=names)
        await worker.start()
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                    **settings.kafka_client_options())
        await producer.start()
        try:
            await producer.send_and_wait(names.events, created.to_bytes(), key=created.kafka_key())
            booked = None

            def book() -> bool:
                nonlocal booked
                response = client.post(URL, json={"event_id": event_id}, headers=alice.headers)
                booked = response.json() if response.status_code == 202 else None
                return booked is not None

            await eventually(book)
            booking_id = booked["id"]
            # The request went out once; the events service "lost" it: no answer comes.
            first = await read(settings, names.events_commands, lambda got: reserve_commands(got, booking_id))
            assert [c.payload["attempt"] for c in reserve_commands(first, booking_id)] == [1]
            await eventually(lambda: [str(b) for b in container.query.pending_since(datetime.now(UTC))]
                             == [booking_id])

            assert await asyncio.to_thread(sweeper.redrive_stuck, datetime.now(UTC)) == 0  # not stuck yet
            later = datetime.now(UTC) + timedelta(minutes=3)
            assert await asyncio.to_thread(sweeper.redrive_stuck, later) == 1

            both = await read(settings, names.events_commands, lambda got: len(reserve_commands(got, booking_id)) == 2)
            again = reserve_commands(both, booking_id)[1]
            # Same attempt (no second reservation), marked as asked again (a lost answer would be repeated).
            assert again.payload["attempt"] == 1 and again.payload["repeat"] and again.aggregate_id == event_id
            answer = wrap(SeatsReserved(event_id=event_id, booking_id=booking_id, seats=1, seats_available=2,
                                        attempt=1), aggregate_id=event_id, aggregate_version=2)
            await producer.send_and_wait(names.events, answer.to_bytes(), key=answer.kafka_key())
            await eventually(lambda: booking_status(booking_id) == "confirmed")
            assert await asyncio.to_thread(sweeper.redrive_stuck, later + timedelta(hours=1)) == 0
        finally:
            await producer.stop()
            await worker.stop()

    asyncio.run(scenario())
