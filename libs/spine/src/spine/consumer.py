"""Idempotent Kafka consumption: FastStream subscribers whose effects commit with their positions.

* Offsets are committed to Kafka only after processing (`AckPolicy.NACK_ON_ERROR`, never the default
  ACK_FIRST, which would lose messages on a crash).
* The effect of a message and its (topic, partition, offset) are written in one database transaction by
  the sink, so a redelivered message is a no-op.
* On partition assignment the consumer seeks to the position stored beside the data (not the Kafka
  group offset), so a read model dropped for a rebuild replays from offset 0.
* A message that cannot be parsed, or keeps failing after bounded retries, is published to
  `<topic>.dlq` with the error in headers; its position is recorded and consumption goes on.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, Topic
from pydantic import ValidationError

from contracts import Envelope
from contracts.topics import dlq

log = logging.getLogger("spine.consumer")

Batch = list[tuple[int, Envelope | None]]


class Sink(ABC):
    """Where a subscription's messages go: applies them with their positions, exactly once in effect."""

    name: str
    topics: tuple[str, ...]
    attempts: int = 3

    @abstractmethod
    def next_offsets(self, topic: str) -> dict[int, int]:
        """Partition → next offset to read, as stored beside the data."""

    @abstractmethod
    def apply(self, topic: str, partition: int, batch: Batch) -> None:
        """Apply messages of one partition, in offset order; `None` envelopes only advance the position."""


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(self, subscription: Subscription):
        self.subscription = subscription

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.subscription.subscriber.consumer
        by_topic: dict[str, list[TopicPartition]] = defaultdict(list)
        for tp in assigned:
            by_topic[tp.topic].append(tp)
        for topic, tps in by_topic.items():
            stored = await asyncio.to_thread(self.subscription.sink.next_offsets, topic)
            for tp in tps:
                if tp.partition in stored:
                    consumer.seek(tp, stored[tp.partition])
                else:
                    await consumer.seek_to_beginning(tp)


def _decode(record: ConsumerRecord) -> tuple[Envelope | None, str | None]:
    try:
        return Envelope.from_bytes(record.value), None
    except (ValidationError, ValueError, TypeError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:2000]


class Subscription:
    """One consumer group reading a sink's topics through a FastStream batch subscriber."""

    def __init__(self, broker: KafkaBroker, sink: Sink, group_id: str, *, max_records: int = 500):
        self.broker = broker
        self.sink = sink
        self.subscriber = broker.subscriber(
            # Topics are provisioned by deploy scripts (contracts.topics); a service may not create any (ACLs).
            *(Topic(topic, declare=False) for topic in sink.topics),
            group_id=group_id,
            batch=True,
            max_records=max_records,
            # FastStream waits this long for records and, when none came, then sleeps as long again without
            # reading: a message arriving in that blind window waits for it (100 ms cost up to 100 ms per
            # hop of the saga at low load). Short keeps single bookings fast; under load batches fill anyway.
            batch_timeout_ms=20,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            listener=_SeekToStoredPositions(self),
            decoder=lambda msg: msg.body,  # bytes as they are: a poison message must reach us, not fail decoding
        )
        self.subscriber(self._on_batch)

    async def _on_batch(self, body: Any, msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        by_partition: dict[tuple[str, int], list[ConsumerRecord]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        for (topic, partition), recs in by_partition.items():
            await self._process_partition(topic, partition, sorted(recs, key=lambda r: r.offset))

    async def _process_partition(self, topic: str, partition: int, records: list[ConsumerRecord]) -> None:
        batch: Batch = []
        for record in records:
            envelope, error = _decode(record)
            if error is not None:
                await self._dead_letter(record, error)
            batch.append((record.offset, envelope))
        try:
            await asyncio.to_thread(self.sink.apply, topic, partition, batch)
            return
        except Exception as exc:  # noqa: BLE001 — isolate the message that fails, below
            log.warning("batch of %s on %s[%s] failed (%s); retrying one by one", len(batch), topic, partition, exc)
        for record, (offset, envelope) in zip(records, batch, strict=True):
            await self._apply_one(record, topic, partition, offset, envelope)

    async def _apply_one(self, record: ConsumerRecord, topic: str, partition: int, offset: int,
                         envelope: Envelope | None) -> None:
        error = ""
        for attempt in range(1, self.sink.attempts + 1):
            try:
                await asyncio.to_thread(self.sink.apply, topic, partition, [(offset, envelope)])
                return
            except Exception as exc:  # noqa: BLE001
                error = f"{type(exc).__name__}: {exc}"[:2000]
                log.warning("message %s[%s]@%s failed (attempt %s): %s", topic, partition, offset, attempt, error)
                await asyncio.sleep(0.05 * 2**attempt)
        await self._dead_letter(record, error)
        # Parked in the DLQ: record the position so the partition moves on.
        await asyncio.to_thread(self.sink.apply, topic, partition, [(offset, None)])

    async def _dead_letter(self, record: ConsumerRecord, error: str) -> None:
        headers = {
            "error": error,
            "original_topic": record.topic,
            "original_partition": str(record.partition),
            "original_offset": str(record.offset),
            "consumer_group": self.subscriber.group_id or "",
        }
        await self.broker.publish(record.value, topic=dlq(record.topic), key=record.key, headers=headers)
        log.error("dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, error)
