"""Replay rate: rebuild the catalogue view from a topic of COUNT envelopes (default 1,000,000), against the
raw consume rate of the same topic with a bare aiokafka consumer (no decoding, no database) in the same run.

The topic (3 partitions, a throwaway name) holds what events.v1 holds in a busy life: 1 in 100 messages
an EventCreated, the rest seat answers (SeatsReserved, some SeatsReleased) for those events, keyed and
versioned per event as the relay publishes them. The replay is `spine.replay.replay` — shadow schema,
catch-up, swap — into a fresh database, exactly what `planner-ops replay catalogue` does.
Targets (issue 10): ≥ 20,000 events/s and ≥ 30 % of the raw rate. Besides wall-clock rates it prints each
side's events per CPU-second of this process, steadier when other work shares the machine.

    .venv/bin/python bench/replay.py [--count N]       (BENCH_REPLAY_COUNT also sets N)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from contracts import wrap  # noqa: E402
from contracts.events import EventCreated, SeatsReleased, SeatsReserved  # noqa: E402
from spine.replay import replay  # noqa: E402
from spine.settings import InfraSettings  # noqa: E402
from spine.testing import create_topics, fresh_database, unique_topic  # noqa: E402

from events_service.projections.catalogue import CatalogueProjection  # noqa: E402

PARTITIONS = 3
EVENTS_PER_100 = 1


def envelopes(count: int, seed: int = 7):
    """COUNT serialized envelopes (key, value): events first appear as EventCreated, then get seat answers."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    events: list[list] = []  # [event id, version, seats available]
    for i in range(count):
        if not events or rng.randrange(100) < EVENTS_PER_100:
            event_id = uuid4()
            events.append([event_id, 1, 1_000_000])
            payload = EventCreated(event_id=event_id, created_by=uuid4(), created_at=now, seats_available=1_000_000,
                                   title=f"Bench event {i}", description="Replayed.",
                                   start_time=now + timedelta(days=9),
                                   duration_minutes=60, max_participants=1_000_000, is_paid=False,
                                   allowed_payment_methods=[], tags=["bench"])
            envelope = wrap(payload, aggregate_id=str(event_id), aggregate_version=1, occurred_at=now)
        else:
            event = events[rng.randrange(len(events))]
            event[1] += 1
            seats = rng.randint(1, 3)
            if rng.randrange(10):
                event[2] -= seats
                payload = SeatsReserved(event_id=event[0], booking_id=uuid4(), seats=seats, seats_available=event[2])
            else:
                event[2] += seats
                payload = SeatsReleased(event_id=event[0], booking_id=uuid4(), seats=seats, seats_available=event[2])
            envelope = wrap(payload, aggregate_id=str(event[0]), aggregate_version=event[1], occurred_at=now)
        yield envelope.kafka_key(), envelope.to_bytes()


async def produce(settings: InfraSettings, topic: str, count: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=20,
                                max_batch_size=1024 * 1024, acks=1, **settings.kafka_client_options())
    await producer.start()
    began = time.monotonic()
    try:
        pending = []
        for key, value in envelopes(count):
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - began


async def raw_consume(settings: InfraSettings, topic: str, count: int) -> float:
    """Seconds for a bare consumer to read the whole topic (values untouched)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
                                **settings.kafka_client_options())
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen, began = 0, time.monotonic()
        while seen < count:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                seen += len(records)
        return time.monotonic() - began
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_REPLAY_COUNT", 1_000_000)))
    count = parser.parse_args().count
    settings = InfraSettings()
    topic = unique_topic("bench-replay")
    create_topics(topic, partitions=PARTITIONS, settings=settings)
    produced = asyncio.run(produce(settings, topic, count))
    print(f"\n== replay of the catalogue view from {count:,} envelopes ({PARTITIONS} partitions)")
    print(f"  produced in {produced:.1f} s ({count / produced:,.0f}/s)")
    cpu = time.process_time()
    raw = asyncio.run(raw_consume(settings, topic, count))
    raw_cpu = time.process_time() - cpu
    with fresh_database("bench_replay", settings) as name:
        conninfo = settings.conninfo(name)
        cpu = time.process_time()
        outcome = asyncio.run(replay(CatalogueProjection(topic), conninfo, settings))
        replay_cpu = time.process_time() - cpu
        with psycopg.connect(conninfo) as conn:
            rows = conn.execute("SELECT count(*) FROM catalogue").fetchone()[0]
    raw_rate, rate = count / raw, outcome.rate
    print(f"  raw aiokafka consume : {raw_rate:>10,.0f} msg/s   ({raw:.1f} s)")
    print(f"  replay (catalogue)   : {rate:>10,.0f} events/s ({outcome.seconds:.1f} s, {outcome.messages:,} messages,"
          f" {rows:,} rows)")
    print(f"  ratio replay/raw     : {rate / raw_rate:>10.2f}   (targets: ≥ 20,000 events/s, ≥ 0.30)")
    # On a shared machine wall-clock rates swing with other load; CPU seconds of this process swing less.
    print(f"  per CPU-second       : raw {count / raw_cpu:,.0f} msg, replay {count / replay_cpu:,.0f} events "
          f"(ratio {raw_cpu / replay_cpu:.2f}; the replay's PostgreSQL backends not counted)")


if __name__ == "__main__":
    main()
