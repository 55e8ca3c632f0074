"""Command → Kafka latency: an aggregate saved through the event store and relayed, until a consumer
receives it; baseline: a raw psycopg INSERT + commit, then an aiokafka produce, until received.

Both run in this process against the same PostgreSQL and Kafka, one at a time (latency, not load).
"""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from eventsourcing.domain import Aggregate, event

from contracts.users import UserRegistered
from spine.eventstore import ServiceApplication, postgres_env
from spine.relay import Relay
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, unique_topic

from _stats import report, summary_ms

N = 300


class Account(Aggregate):
    @event("Opened")
    def __init__(self, email: str):
        self.email = email


class Accounts(ServiceApplication):
    name = "bench_accounts"


def to_public(e):
    return UserRegistered(user_id=e.originator_id, email=e.email, full_name="B", role="participant",
                          registered_at=e.timestamp)


async def consumer_for(settings: InfraSettings, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="latest", group_id=None, fetch_max_wait_ms=5,
                                **settings.kafka_client_options())
    await consumer.start()
    # A just-created topic is assigned lazily and "latest" is resolved lazily: a message sent before both
    # happen would be skipped and waited for forever. Wait for every partition and pin its end offset now.
    while len(consumer.assignment()) < max(1, len(consumer.partitions_for_topic(topic) or ())):
        await asyncio.sleep(0.05)
    await consumer.seek_to_end()
    for tp in consumer.assignment():
        await consumer.position(tp)
    return consumer


async def receive(consumer: AIOKafkaConsumer, marker: bytes) -> None:
    while True:
        for records in (await consumer.getmany(timeout_ms=100)).values():
            if any(marker in r.value for r in records):
                return


async def subject(settings: InfraSettings, db: str) -> list[float]:
    topic = unique_topic("bench")
    await asyncio.to_thread(create_topics, topic, partitions=6)
    app = Accounts(env=postgres_env(db, settings))
    stop = asyncio.Event()
    relay_task = asyncio.create_task(Relay(app, topic, to_public, settings).run(stop))
    consumer = await consumer_for(settings, topic)
    samples = []
    for i in range(N + 20):
        email = f"{uuid4().hex}@bench"
        t0 = time.perf_counter()
        await asyncio.to_thread(app.save, Account(email))
        await receive(consumer, email.encode())
        if i >= 20:  # warm-up
            samples.append(time.perf_counter() - t0)
    stop.set()
    await relay_task
    await consumer.stop()
    return samples


async def baseline(settings: InfraSettings, db: str) -> list[float]:
    topic = unique_topic("bench")
    await asyncio.to_thread(create_topics, topic, partitions=6)
    conn = await psycopg.AsyncConnection.connect(settings.conninfo(db), autocommit=True)
    await conn.execute("CREATE TABLE raw_events (id bigserial PRIMARY KEY, body text)")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                acks="all", **settings.kafka_client_options())
    await producer.start()
    consumer = await consumer_for(settings, topic)
    samples = []
    for i in range(N + 20):
        email = f"{uuid4().hex}@bench"
        t0 = time.perf_counter()
        await conn.execute("INSERT INTO raw_events (body) VALUES (%s)", (email,))
        await producer.send_and_wait(topic, email.encode(), key=email.encode())
        await receive(consumer, email.encode())
        if i >= 20:
            samples.append(time.perf_counter() - t0)
    await producer.stop()
    await consumer.stop()
    await conn.close()
    return samples


def main() -> None:
    settings = InfraSettings()
    with fresh_database("bench") as db:
        base = asyncio.run(baseline(settings, db))
        subj = asyncio.run(subject(settings, db))
    report(f"command → Kafka latency, {N} sequential commands (subject: event store + relay; "
           "baseline: raw INSERT + produce)", summary_ms(subj), summary_ms(base), "ms")


if __name__ == "__main__":
    main()
