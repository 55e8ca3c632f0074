"""Seat leases through real Kafka: leases and reservations racing for one event never exceed its capacity,
and a lease asked again (a request lost in a crash, re-sent with the same id) gets the same seats, not more."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer

from contracts import Envelope, parse_payload, wrap
from contracts.events import RequestSeatLease, ReserveSeats, ReturnLeasedSeats

from events_service.bootstrap import build_events
from events_service.domain import EventDetails
from events_service.main import build_worker

from .test_seats_through_kafka import publish_concurrently, topics_for_test  # noqa: F401 — the fixture

pytestmark = pytest.mark.integration

CAPACITY = 40
ANSWERS = {"SeatsReserved", "SeatsRejected", "SeatsLeased", "LeaseRefused", "LeasedSeatsReturned"}


async def read_answers(settings, topic: str, expected: int, timeout: float = 30.0) -> list[Envelope]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **settings.kafka_client_options())
    await consumer.start()
    seen: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen += [env for r in records if (env := Envelope.from_bytes(r.value)).type in ANSWERS]
    finally:
        await consumer.stop()
    return seen


def test_leases_and_reservations_racing_for_one_event_never_oversell(settings, topics_for_test):  # noqa: F811
    commands_topic, events_topic, users_topic = topics_for_test
    app = build_events(settings)
    details = EventDetails(title="Free meetup", start_time=datetime.now(UTC) + timedelta(days=1),
                           duration_minutes=90, max_participants=CAPACITY)
    event_id = app.schedule_event(details, created_by=uuid4()).id
    app.close()
    key = str(event_id)
    rng = random.Random(8)
    leases = [wrap(RequestSeatLease(event_id=event_id, lease_id=uuid4(), seats=rng.randint(3, 12)), aggregate_id=key)
              for _ in range(8)]
    reserves = [wrap(ReserveSeats(event_id=event_id, booking_id=uuid4(), seats=rng.randint(1, 3), user_id=uuid4()),
                     aggregate_id=key) for _ in range(20)]
    first = [*leases, *reserves]
    rng.shuffle(first)

    async def scenario() -> list[Envelope]:
        worker = build_worker(settings, topic=events_topic, users_topic=users_topic, commands_topic=commands_topic)
        await worker.start()
        try:
            await publish_concurrently(settings, commands_topic, first)
            answers = await read_answers(settings, events_topic, len(first))
            granted = [parse_payload(a) for a in answers if a.type == "SeatsLeased"]
            # The ledger gives some back, and re-asks (`repeat`) two leases it never heard about (same lease ids);
            # a plain duplicate of the first request (a re-published command) is answered by nothing.
            back = wrap(ReturnLeasedSeats(event_id=event_id, return_id=uuid4(), seats=granted[0].seats,
                                          reason="idle"), aggregate_id=key)
            again = [wrap(RequestSeatLease(event_id=event_id, lease_id=lease.payload["lease_id"],
                                           seats=lease.payload["seats"], repeat=True), aggregate_id=key)
                     for lease in leases[:2]]
            await publish_concurrently(settings, commands_topic, [back, back, leases[0], *again])
            return await read_answers(settings, events_topic, len(first) + 3)
        finally:
            await worker.stop()

    answers = sorted(asyncio.run(scenario()), key=lambda a: a.aggregate_version)

    by_lease: dict[str, list] = {}
    for answer in answers:
        if answer.type in ("SeatsLeased", "LeaseRefused"):
            by_lease.setdefault(answer.payload["lease_id"], []).append(parse_payload(answer))
    assert len(by_lease) == len(leases)
    for lease in leases[:2]:
        first_answer, again = by_lease[lease.payload["lease_id"]]
        assert again == first_answer.model_copy(update={
            k: getattr(again, k) for k in ("seats_leased", "seats_unallocated") if hasattr(again, k)})
    assert sum(a.type == "LeasedSeatsReturned" for a in answers) == 1
    # Walk the event's answers in order: reserved + leased never exceed capacity.
    reserved = leased = 0
    for answer in answers:
        p = parse_payload(answer)
        if answer.type == "SeatsReserved":
            reserved += p.seats
        elif answer.type == "SeatsLeased" and answer.payload["lease_id"] not in seen_leases(answers, answer):
            leased += p.seats
            assert p.seats_leased == leased
        elif answer.type == "LeasedSeatsReturned":
            leased -= p.seats
            assert p.seats_leased == leased
        assert reserved + leased <= CAPACITY
    last = next(a for a in reversed(answers) if a.type != "LeaseRefused")
    free = last.payload.get("seats_unallocated", last.payload.get("seats_available"))
    assert reserved + leased == CAPACITY - free


def seen_leases(answers: list[Envelope], current: Envelope) -> set[str]:
    """Lease ids answered before `current` (a repeated answer grants nothing new)."""
    return {a.payload["lease_id"] for a in answers if a.aggregate_version < current.aggregate_version
            and a.type in ("SeatsLeased", "LeaseRefused")}
