"""Idempotent Kafka consumption: aiokafka poll loops whose effects commit with their positions.

* The position that counts is PostgreSQL's, stored with the effect. Offsets are committed to Kafka only
  after the effect committed, asynchronously and now and then, as a metric for group lag; never
  auto-committed before processing (which would lose messages on a crash).
* The effect of a message and its (topic, partition, offset) are written in one database transaction by
  the sink, so a redelivered message is a no-op. All partitions' batches of one poll go to the sink together
  (`Sink.apply_poll`: one transaction with all positions where the sink supports it); if that fails, each
  partition is applied on its own, with the failure handling below.
* On partition assignment the consumer seeks to the position stored beside the data (not the Kafka
  group offset), so a read model dropped for a rebuild replays from offset 0.
* Failures are classified (`spine.errors`). A transient one (version conflict, database down, provider
  outage) never loses the message: the partition is sought back to it and paused, then resumed after an
  exponential backoff (with jitter, capped), indefinitely; other partitions keep flowing, and a
  `consumer_stalled` alarm is raised when the partition stays stuck longer than `alarm_after` seconds.
* A version conflict (another writer saved the same aggregate first) is always transient, however often it
  comes back and whatever error it is wrapped in (`spine.errors.is_conflict`): it is never dead-lettered.
* Poison (undecodable bytes, a contract violation, a rule that can never pass; or an unknown error that
  persisted through `unknown_attempts` tries) is published to `<topic>.dlq` with the error in headers,
  then its position is recorded without effect and consumption goes on. A failing batch is split to
  find the poison only when the failure is not transient.
* Never both dead-lettered and applied: before dead-lettering, the sink is asked whether the offset is
  already recorded (a try that committed before it failed); if so, it counts as applied. A crash between
  the DLQ publish and recording the position re-runs the message, which (being poison) is dead-lettered
  again: the DLQ may hold a duplicate, identified by its `original_*` headers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from contracts import Envelope
from contracts.topics import dlq
from spine.errors import Failure, classify, describe, is_conflict
from spine.health import Alarms
from spine.metrics import (
    CONSUMER_BATCH_SECONDS,
    CONSUMER_BATCH_SIZE,
    CONSUMER_EVENT_LAG,
    CONSUMER_LAG,
    CONSUMER_MESSAGES,
    CONSUMER_RETRIES,
    DLQ_MESSAGES,
)
from spine.settings import InfraSettings

log = logging.getLogger("spine.consumer")

Batch = list[tuple[int, Envelope | None]]


class Sink(ABC):
    """Where a subscription's messages go: applies them with their positions, exactly once in effect."""

    name: str
    topics: tuple[str, ...]

    @abstractmethod
    def next_offsets(self, topic: str) -> dict[int, int]:
        """Partition → next offset to read, as stored beside the data."""

    @abstractmethod
    def apply(self, topic: str, partition: int, batch: Batch) -> None:
        """Apply messages of one partition, in offset order; `None` envelopes only advance the position."""

    def apply_poll(self, batches: dict[tuple[str, int], Batch]) -> None:
        """Apply every partition's batch of one poll. A sink that can overrides this to use one transaction
        for all of them with all their positions; this default commits partition by partition (each still
        atomic with its position, so a failure part-way leaves only redeliveries behind)."""
        for (topic, partition), batch in batches.items():
            self.apply(topic, partition, batch)

    def is_recorded(self, topic: str, partition: int, offset: int) -> bool:
        """Whether the position of this offset is already stored (the message was applied or skipped)."""
        return self.next_offsets(topic).get(partition, 0) > offset


@dataclass
class Backoff:
    """How a stuck partition is retried: exponential from `first` to `cap` seconds, with jitter."""

    first: float = 0.1
    cap: float = 30.0
    alarm_after: float = 30.0  # seconds stuck before the alarm
    unknown_attempts: int = 5  # tries of an unclassified error before it counts as poison

    def delay(self, attempt: int) -> float:
        return random.uniform(0.5, 1.0) * min(self.cap, self.first * 2 ** max(0, attempt - 1))


@dataclass
class _Stuck:
    offset: int
    attempts: int = 0
    since: float = field(default_factory=time.monotonic)
    alarmed: bool = False


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(self, subscription: Subscription):
        self.subscription = subscription

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self.subscription.forget(tp)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.subscription.subscriber.started()
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
                if tp not in self.subscription.next_offsets:  # a batch may have been applied meanwhile
                    self.subscription.progressed(tp, stored.get(tp.partition, 0))


def _decode(record: ConsumerRecord) -> tuple[Envelope | None, str | None]:
    try:
        return Envelope.from_bytes(record.value), None
    except (ValidationError, ValueError, TypeError) as exc:
        return None, describe(exc)


class _Subscriber:
    """The group and its aiokafka consumer (None until started): what liveness and tests look at."""

    def __init__(self, group_id: str):
        self.group_id = group_id
        self.consumer: AIOKafkaConsumer | None = None

    def started(self) -> AIOKafkaConsumer:
        """The consumer, for what only runs once it exists (rebalances, retries)."""
        if self.consumer is None:
            raise RuntimeError(f"consumer group {self.group_id} is not started")
        return self.consumer


class Subscription:
    """One consumer group reading a sink's topics with its own aiokafka poll loop.

    `getmany` long-polls: it returns as soon as any record arrives (no idle sleep between empty polls, as
    FastStream's batch subscriber had: up to 20 ms per saga hop at low load). The positions live in
    PostgreSQL beside the effects; Kafka's committed offsets are written afterwards, asynchronously and at
    most every `commit_seconds`, only so that consumer-group lag stays visible (`planner-ops lag`).
    """

    commit_seconds = 1.0

    def __init__(self, broker: KafkaBroker, sink: Sink, group_id: str, *, max_records: int = 500,
                 alarms: Alarms | None = None, backoff: Backoff | None = None, settings: InfraSettings | None = None):
        self.broker = broker  # publishes dead letters
        self.sink = sink
        self.settings = settings or InfraSettings()
        self.max_records = max_records
        self.alarms = alarms or Alarms()
        self.backoff = backoff or Backoff()
        self._stuck: dict[TopicPartition, _Stuck] = {}
        self._resumers: dict[TopicPartition, asyncio.TimerHandle] = {}
        # Per assigned partition: the next offset to apply and when it last moved (spine.liveness reads them).
        self.next_offsets: dict[TopicPartition, int] = {}
        self.moved_at: dict[TopicPartition, float] = {}
        self.kind = "projection" if hasattr(sink, "projection") else "handler"
        self.subscriber = _Subscriber(group_id)
        self._task: asyncio.Task | None = None
        self._committed: dict[TopicPartition, int] = {}
        self._commit_task: asyncio.Task | None = None
        self._committed_at = 0.0
        self._m_size = CONSUMER_BATCH_SIZE.labels(group_id, self.kind)
        self._m_seconds = CONSUMER_BATCH_SECONDS.labels(group_id, self.kind)
        self._m_lag = CONSUMER_EVENT_LAG.labels(group_id, self.kind)
        for topic in sink.topics:  # zeros from the start: "no dead letters" is a value, not a missing series
            DLQ_MESSAGES.labels(group_id, topic)
            CONSUMER_RETRIES.labels(group_id, topic)

    async def start(self) -> None:
        """Join the group (seeking to the stored positions on assignment) and poll in a task of its own."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, group_id=self.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=self.max_records,
            **self.settings.kafka_client_options())
        # Topics are provisioned by deploy scripts (contracts.topics); a service may not create any (ACLs).
        consumer.subscribe(list(self.sink.topics), listener=_SeekToStoredPositions(self))
        self.subscriber.consumer = consumer  # before start: the rebalance listener seeks with it
        await consumer.start()
        self._task = asyncio.create_task(self._poll(consumer), name=f"consumer:{self.group_id}")

    async def stop(self) -> None:
        for task in (self._task, self._commit_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for handle in self._resumers.values():
            handle.cancel()
        self._resumers.clear()
        consumer = self.subscriber.consumer
        if consumer is not None:
            self._committed_at = 0.0
            self._commit_soon(consumer)  # the last applied offsets, for group lag while this worker is away
            if self._commit_task is not None:
                await asyncio.gather(self._commit_task, return_exceptions=True)
            await consumer.stop()

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                fetched = await consumer.getmany(timeout_ms=1000, max_records=self.max_records)
                if fetched:
                    await self._on_records([r for records in fetched.values() for r in records])
                self._commit_soon(consumer)  # also after an empty poll: the last batch's offsets get out too
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — the loop must outlive a bad poll; failures are handled per partition
                log.exception("consumer %s: poll failed; polling again in 1 s", self.group_id)
                await asyncio.sleep(1.0)

    def _commit_soon(self, consumer: AIOKafkaConsumer) -> None:
        """Commit the applied positions to Kafka (a metric for group lag), in the background, now and then."""
        if self._commit_task is not None and not self._commit_task.done():
            return
        if time.monotonic() - self._committed_at < self.commit_seconds:
            return
        assigned = consumer.assignment()
        offsets = {tp: o for tp, o in self.next_offsets.items() if tp in assigned and self._committed.get(tp) != o}
        if not offsets:
            return
        self._committed_at = time.monotonic()

        async def commit() -> None:
            try:
                await consumer.commit(offsets)
                self._committed.update(offsets)
            except Exception as exc:  # noqa: BLE001 — only a metric: PostgreSQL holds the real positions
                log.debug("consumer %s: committing offsets failed: %s", self.group_id, describe(exc))

        self._commit_task = asyncio.create_task(commit())

    @property
    def group_id(self) -> str:
        return self.subscriber.group_id

    def paused(self, tp: TopicPartition) -> bool:
        """Whether the partition is waiting to retry a transient failure (its own alarm covers it)."""
        return tp in self._stuck

    def progressed(self, tp: TopicPartition, next_offset: int) -> None:
        """The partition's next offset to apply (once per batch): position, movement time and lag gauge."""
        if self.next_offsets.get(tp) != next_offset:
            self.next_offsets[tp] = next_offset
            self.moved_at[tp] = time.monotonic()
        consumer = getattr(self.subscriber, "consumer", None)
        highwater = consumer.highwater(tp) if consumer is not None else None
        if highwater is not None:
            CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(max(0, highwater - next_offset))

    def _observe(self, batch: Batch, started: float) -> None:
        """Metrics of one applied partition batch: size, time, age of its oldest message, types handled."""
        self._m_size.observe(len(batch))
        self._m_seconds.observe(time.perf_counter() - started)
        envelopes = [e for _, e in batch if e is not None]
        if envelopes:
            age = (datetime.now(UTC) - envelopes[0].occurred_at).total_seconds()
            self._m_lag.observe(max(0.0, age))
            for kind, n in Counter(e.type for e in envelopes).items():
                CONSUMER_MESSAGES.labels(self.group_id, self.kind, kind, "applied").inc(n)

    def stalled(self) -> dict[str, dict[str, Any]]:
        """Partitions waiting to retry a transient failure: `topic[partition]` → offset, attempts, seconds."""
        now = time.monotonic()
        stuck = list(self._stuck.items())  # a copy: the worker's listener thread reads it while the loop runs
        return {f"{tp.topic}[{tp.partition}]": {"offset": s.offset, "attempts": s.attempts,
                                                 "seconds": round(now - s.since, 1)} for tp, s in stuck}

    def forget(self, tp: TopicPartition) -> None:
        """A partition was revoked: its retry state goes with it (whoever gets it seeks to the stored position)."""
        handle = self._resumers.pop(tp, None)
        if handle is not None:
            handle.cancel()
        self._stuck.pop(tp, None)
        self.next_offsets.pop(tp, None)
        self.moved_at.pop(tp, None)
        try:
            CONSUMER_LAG.remove(self.group_id, tp.topic, str(tp.partition))
        except KeyError:
            pass

    async def _on_records(self, records: list[ConsumerRecord]) -> None:
        """One poll: every partition's batch goes to the sink at once (`Sink.apply_poll`, one transaction where
        the sink can). If that fails, each partition is tried on its own, where failures are classified,
        paused and isolated as before; what already committed is then a redelivery, hence a no-op."""
        by_partition: dict[tuple[str, int], list[ConsumerRecord]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        ready: dict[tuple[str, int], tuple[list[ConsumerRecord], Batch]] = {}
        for (topic, partition), recs in by_partition.items():
            if TopicPartition(topic, partition) in self._resumers:
                continue  # paused for a retry: records fetched before the pause are read again after it
            decoded = await self._decode_partition(sorted(recs, key=lambda r: r.offset))
            if decoded is not None:
                ready[(topic, partition)] = decoded
        if not ready:
            return
        if len(ready) > 1:
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self.sink.apply_poll, {tp: batch for tp, (_, batch) in ready.items()})
            except Exception as exc:  # noqa: BLE001 — retried per partition below, where it is classified
                log.info("poll of %s partitions failed together (%s); applying them one by one", len(ready),
                         describe(exc))
            else:
                for (topic, partition), (recs, batch) in ready.items():
                    self._observe(batch, started)
                    await self._recovered(topic, partition, recs[-1].offset + 1)
                return
        for (topic, partition), (recs, batch) in ready.items():
            await self._process_partition(topic, partition, recs, batch)

    async def _decode_partition(self, records: list[ConsumerRecord]) -> tuple[list[ConsumerRecord], Batch] | None:
        """The partition's batch; undecodable records are dead-lettered first (None: paused at one of them)."""
        batch: Batch = []
        for record in records:
            envelope, error = _decode(record)
            if error is not None and not await self._dead_letter(record, error):
                return None  # could not publish to the DLQ: paused, retried from here
            batch.append((record.offset, envelope))
        return records, batch

    async def _process_partition(self, topic: str, partition: int, records: list[ConsumerRecord],
                                 batch: Batch | None = None) -> None:
        """Apply one partition's records on their own; failures classified, paused or isolated."""
        if batch is None:
            decoded = await self._decode_partition(records)
            if decoded is None:
                return
            records, batch = decoded
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self.sink.apply, topic, partition, batch)
            self._observe(batch, started)
            await self._recovered(topic, partition, records[-1].offset + 1)
            return
        except Exception as exc:  # noqa: BLE001 — classified below
            failure = self._failure(topic, partition, records[0].offset, exc)
            if failure is Failure.TRANSIENT or len(batch) == 1:
                if failure is Failure.TRANSIENT:
                    await self._pause(topic, partition, records[0].offset, exc)
                else:
                    await self._poisoned(records[0], topic, partition, exc)
                return
            log.warning("batch of %s on %s[%s] failed (%s); isolating the message", len(batch), topic, partition,
                        describe(exc))
        for record, (offset, envelope) in zip(records, batch, strict=True):
            if not await self._apply_one(record, topic, partition, offset, envelope):
                return  # paused at this message; the rest of the batch is fetched again after the backoff

    async def _apply_one(self, record: ConsumerRecord, topic: str, partition: int, offset: int,
                         envelope: Envelope | None) -> bool:
        """Apply one message; False when the partition was paused at it (a transient failure)."""
        try:
            await asyncio.to_thread(self.sink.apply, topic, partition, [(offset, envelope)])
        except Exception as exc:  # noqa: BLE001
            if self._failure(topic, partition, offset, exc) is Failure.TRANSIENT:
                await self._pause(topic, partition, offset, exc)
                return False
            return await self._poisoned(record, topic, partition, exc)
        if envelope is not None:
            CONSUMER_MESSAGES.labels(self.group_id, self.kind, envelope.type, "applied").inc()
        await self._recovered(topic, partition, offset + 1)
        return True

    def _failure(self, topic: str, partition: int, offset: int, exc: BaseException) -> Failure:
        """Transient or poison; an unknown error is transient for its first `unknown_attempts` tries here.
        A version conflict is always transient (`classify`), however often it came back."""
        failure = classify(exc)
        if failure is Failure.UNKNOWN:
            stuck = self._stuck.get(TopicPartition(topic, partition))
            tries = stuck.attempts + 1 if stuck is not None and stuck.offset == offset else 1
            failure = Failure.TRANSIENT if tries < self.backoff.unknown_attempts else Failure.POISON
        return failure

    async def _poisoned(self, record: ConsumerRecord, topic: str, partition: int, exc: BaseException) -> bool:
        """Dead-letter a message that can never be applied and record its position; False if paused."""
        if is_conflict(exc):  # never poison: recording its position would leave its booking pending forever
            await self._pause(topic, partition, record.offset, exc)
            return False
        if not await self._dead_letter(record, describe(exc)):
            return False
        try:
            await asyncio.to_thread(self.sink.apply, topic, partition, [(record.offset, None)])
        except Exception as exc2:  # noqa: BLE001 — e.g. the database went away: come back to this message
            await self._pause(topic, partition, record.offset, exc2)
            return False
        await self._recovered(topic, partition, record.offset + 1)
        return True

    async def _dead_letter(self, record: ConsumerRecord, error: str) -> bool:
        """Publish to `<topic>.dlq` unless the message already counts as applied; False if paused."""
        topic, partition = record.topic, record.partition
        try:
            if await asyncio.to_thread(self.sink.is_recorded, topic, partition, record.offset):
                log.warning("%s[%s]@%s is already applied; not dead-lettering it", topic, partition, record.offset)
                return True
            headers = {
                "error": error,
                "original_topic": topic,
                "original_partition": str(partition),
                "original_offset": str(record.offset),
                "consumer_group": self.group_id,
            }
            await self.broker.publish(record.value, topic=dlq(topic), key=record.key, headers=headers)
        except Exception as exc:  # noqa: BLE001 — the DLQ or the database is unreachable: retry later
            await self._pause(topic, partition, record.offset, exc)
            return False
        DLQ_MESSAGES.labels(self.group_id, topic).inc()
        envelope, _ = _decode(record)
        CONSUMER_MESSAGES.labels(self.group_id, self.kind, envelope.type if envelope else "undecodable",
                                 "dead_lettered").inc()
        log.error("dead-lettered %s[%s]@%s: %s", topic, partition, record.offset, error)
        await asyncio.to_thread(self.alarms.raise_alarm, f"dlq:{self.group_id}:{topic}", "dead_lettered",
                                f"last: offset {partition}@{record.offset}: {error}"[:1000])
        return True

    async def _pause(self, topic: str, partition: int, offset: int, exc: BaseException) -> None:
        """Seek back to `offset`, pause the partition and resume it after the backoff."""
        tp = TopicPartition(topic, partition)
        stuck = self._stuck.get(tp)
        if stuck is None or stuck.offset != offset:
            stuck = self._stuck[tp] = _Stuck(offset)
        stuck.attempts += 1
        CONSUMER_RETRIES.labels(self.group_id, topic).inc()
        delay = self.backoff.delay(stuck.attempts)
        log.warning("%s[%s]@%s failed (try %s, transient): %s; retrying in %.2f s", topic, partition, offset,
                    stuck.attempts, describe(exc), delay)
        consumer = self.subscriber.started()
        consumer.seek(tp, offset)
        consumer.pause(tp)
        old = self._resumers.pop(tp, None)
        if old is not None:
            old.cancel()
        self._resumers[tp] = asyncio.get_running_loop().call_later(delay, self._resume, tp)
        if time.monotonic() - stuck.since >= self.backoff.alarm_after:
            stuck.alarmed = True
            await asyncio.to_thread(self.alarms.raise_alarm, self._stall_source(tp), "consumer_stalled",
                                    f"offset {offset} failing for {time.monotonic() - stuck.since:.0f} s "
                                    f"({stuck.attempts} tries): {describe(exc)}"[:1000])

    def _resume(self, tp: TopicPartition) -> None:
        self._resumers.pop(tp, None)
        try:
            self.subscriber.started().resume(tp)
        except Exception:  # noqa: BLE001 — revoked meanwhile: the next owner starts from the stored position
            log.debug("could not resume %s", tp, exc_info=True)

    async def _recovered(self, topic: str, partition: int, next_offset: int) -> None:
        tp = TopicPartition(topic, partition)
        self.progressed(tp, next_offset)
        stuck = self._stuck.pop(tp, None)
        if stuck is not None and stuck.alarmed:
            await asyncio.to_thread(self.alarms.clear, self._stall_source(tp))

    def _stall_source(self, tp: TopicPartition) -> str:
        return f"stalled:{self.group_id}:{tp.topic}:{tp.partition}"
