"""The worker for real: public messages on Kafka → views and outbox → e-mails in the SMTP sink; a relay
re-publish (same events, new offsets) and a worker restart make no second notification or e-mail."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from contracts import Envelope
from contracts.topics import dlq
from spine.testing import create_topics, unique_topic

from notifications_service.main import build_worker
from notifications_service.testing import Story, mails

pytestmark = pytest.mark.integration


@pytest.fixture
def topics_for_test() -> dict[str, str]:
    names = {k: unique_topic(k) for k in ("users", "events", "bookings", "payments")}
    create_topics(*names.values(), *(dlq(n) for n in names.values()), partitions=2)
    return names


def topic_of(envelope: Envelope, names: dict[str, str]) -> str:
    prefix = {"User": "users", "Event": "events", "Booking": "bookings", "Payment": "payments"}
    return names[next(v for k, v in prefix.items() if envelope.type.startswith(k))]


async def send(settings, names, envelopes) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic_of(envelope, names), envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()
    return len(envelopes)


def consumed(settings, names) -> int:
    """Messages the trigger projection has recorded positions for, over all its topics."""
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        row = conn.execute("SELECT coalesce(sum(next_offset), 0) FROM projection_positions "
                           "WHERE projection = 'notification_triggers' AND topic = ANY(%s)",
                           (list(names.values()),)).fetchone()
    return int(row[0])


def outbox(settings, user_id) -> list[tuple]:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute("SELECT notification_id, kind, channel, status FROM notifications WHERE user_id = %s "
                            "ORDER BY 1", (user_id,)).fetchall()


async def until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there"
        await asyncio.sleep(0.2)


def test_kafka_to_mailbox_once_even_after_republish_and_restart(mail_settings, smtp_sink, topics_for_test):
    settings = mail_settings.model_copy(update={"send_interval_seconds": 0.2})
    story = Story(paid=True)
    messages = story.booked()
    maildir = smtp_sink[1]

    async def scenario() -> None:
        worker = build_worker(settings, users_topic=topics_for_test["users"], events_topic=topics_for_test["events"],
                              bookings_topic=topics_for_test["bookings"], payments_topic=topics_for_test["payments"])
        await worker.start()
        try:
            sent = await send(settings, topics_for_test, messages)
            await until(lambda: len(mails(maildir, to=story.email)) == 4)  # welcome, pay, paid, confirmed
            await until(lambda: consumed(settings, topics_for_test) >= sent)
        finally:
            await worker.stop()
        first_rows = outbox(settings, story.user_id)
        assert {r[3] for r in first_rows} == {"sent", "delivered"} and len(first_rows) == 8

        # The relay re-publishes everything (same events, new offsets), and the worker restarts meanwhile.
        await send(settings, topics_for_test, messages)
        worker = build_worker(settings, users_topic=topics_for_test["users"], events_topic=topics_for_test["events"],
                              bookings_topic=topics_for_test["bookings"], payments_topic=topics_for_test["payments"])
        await worker.start()
        try:
            await until(lambda: consumed(settings, topics_for_test) >= 2 * sent)
            await asyncio.to_thread(worker.timers[0][1])  # one more sender pass after the re-delivered batch
        finally:
            await worker.stop()
        assert outbox(settings, story.user_id) == first_rows
        assert len(mails(maildir, to=story.email)) == 4

    asyncio.run(scenario())
