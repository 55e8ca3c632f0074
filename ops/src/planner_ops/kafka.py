"""Kafka clients for the CLI: short timeouts (an unreachable broker is one line, quickly), no consumer group.

Reading clients never join a group, so no service's committed offsets move and every partition is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from spine.settings import InfraSettings

from planner_ops.errors import OpsError

T = TypeVar("T")
TIMEOUT_MS = 10_000


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's async body (Ctrl-C ends it quietly: the error layer turns it into exit 130)."""
    return asyncio.run(coro)


async def _started(client):
    try:
        await client.start()
    except BaseException:
        close = getattr(client, "stop", None) or client.close
        try:
            await close()
        except Exception:  # noqa: BLE001 — the start error is the one to report
            pass
        raise
    return client


@asynccontextmanager
async def reader(settings: InfraSettings, **options: Any) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer without a group (assign partitions yourself, or subscribe)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                enable_auto_commit=False, request_timeout_ms=TIMEOUT_MS,
                                connections_max_idle_ms=60_000, **(options | settings.kafka_client_options()))
    await _started(consumer)
    try:
        yield consumer
    finally:
        await consumer.stop()


@asynccontextmanager
async def writer(settings: InfraSettings) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer (acks=all), as the relay uses."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                acks="all", request_timeout_ms=TIMEOUT_MS, **settings.kafka_client_options())
    await _started(producer)
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def admin(settings: InfraSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=TIMEOUT_MS,
                                 **settings.kafka_client_options())
    await _started(client)
    try:
        yield client
    finally:
        await client.close()


async def partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions; OpsError when the broker has no such topic (or the principal may not see it)."""
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 — what consumer.topics() reads, kept
    found = cluster.partitions_for_topic(topic) if topic in cluster.topics() else None
    if not found:
        raise OpsError(f"unknown topic {topic!r} (not on the broker, or not readable as this principal)")
    return [TopicPartition(topic, p) for p in sorted(found)]


async def topic_partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of those `topics` that exist (others are skipped: a group may outlive its topic)."""
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001
    known = cluster.topics()
    return [TopicPartition(t, p) for t in topics if t in known for p in sorted(cluster.partitions_for_topic(t) or ())]


async def first_timestamps(consumer: AIOKafkaConsumer, at: dict[TopicPartition, int],
                           timeout: float = 5.0) -> dict[TopicPartition, int]:
    """Kafka timestamp (ms) of the record at each given offset (the oldest unconsumed one), where readable."""
    wanted = {tp: o for tp, o in at.items()}
    if not wanted:
        return {}
    consumer.assign(list(wanted))
    for tp, offset in wanted.items():
        consumer.seek(tp, offset)
    found: dict[TopicPartition, int] = {}
    deadline = asyncio.get_running_loop().time() + timeout
    while len(found) < len(wanted) and asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(*[tp for tp in wanted if tp not in found], timeout_ms=500, max_records=50)
        for tp, records in batch.items():
            if records and tp not in found:
                found[tp] = records[0].timestamp
    return found
