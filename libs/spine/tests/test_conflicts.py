"""A version conflict is never poison: it is retried (with jittered backoff) and never dead-lettered.

Unit tests of the consumer's failure handling and of `spine.retry.retrying`, with a sink that conflicts the
way the booking saga does when the api saves the same Waitlist first. The Kafka consumer and broker are
stand-ins that record seeks, pauses and DLQ publishes (no I/O); the real-Kafka counterpart is
test_resilience.py.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import IntegrityError
from faststream.kafka import KafkaBroker

from contracts import Envelope
from contracts.registry import wrap
from contracts.users import UserRegistered
from spine.consumer import Backoff, Sink, Subscription
from spine.errors import Failure, classify
from spine.retry import conflict_delay, retrying

pytestmark = pytest.mark.unit

TOPIC = "conflicts.v1"


class ConflictingSink(Sink):
    """Applies messages, except that it fails as scripted: each call pops the next failure (None: apply)."""

    name = "conflicting"
    topics = (TOPIC,)

    def __init__(self, failures: list[BaseException | None]):
        self.failures = failures
        self.applied: dict[int, Envelope | None] = {}

    def next_offsets(self, topic: str) -> dict[int, int]:
        return {0: max(self.applied) + 1} if self.applied else {}

    def apply(self, topic, partition, batch):  # noqa: ANN001
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        self.applied.update(batch)


class FakeConsumer:
    def __init__(self):
        self.seeks: list[int] = []
        self.paused: set[TopicPartition] = set()

    def seek(self, tp, offset):  # noqa: ANN001
        self.seeks.append(offset)

    def pause(self, tp):  # noqa: ANN001
        self.paused.add(tp)

    def resume(self, tp):  # noqa: ANN001
        self.paused.discard(tp)

    def highwater(self, tp):  # noqa: ANN001
        return None


class DeadLetters:
    def __init__(self):
        self.published: list[dict] = []

    async def publish(self, value, **kwargs):  # noqa: ANN001
        self.published.append(kwargs)


def record(offset: int) -> ConsumerRecord:
    envelope = wrap(UserRegistered(user_id="00000000-0000-0000-0000-000000000001", email=f"m{offset}@example.com",
                                   full_name="M", role="participant", registered_at="2026-01-01T00:00:00Z"),
                    aggregate_id="00000000-0000-0000-0000-000000000001", aggregate_version=offset + 1)
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, b"k", envelope.to_bytes(), None, 1, 1, [])


def subscription(sink: Sink) -> tuple[Subscription, FakeConsumer, DeadLetters]:
    sub = Subscription(KafkaBroker("127.0.0.1:1"), sink, "conflicts", backoff=Backoff(first=0.0, cap=0.0))
    consumer, dead = FakeConsumer(), DeadLetters()
    sub.subscriber.consumer = consumer
    sub.broker = dead
    return sub, consumer, dead


async def deliver(sub: Subscription, consumer: FakeConsumer, records: list[ConsumerRecord], rounds: int) -> None:
    """Feed the records as Kafka would: after a pause, again from the offset the consumer was sought to."""
    for _ in range(rounds):
        start = consumer.seeks[-1] if consumer.seeks else records[0].offset
        await sub._process_partition(TOPIC, 0, [r for r in records if r.offset >= start])
        await asyncio.sleep(0)  # let the resume timer (backoff 0) fire
        if not consumer.paused and consumer.seeks and consumer.seeks[-1] > records[-1].offset:
            return


@pytest.mark.parametrize("conflict", [
    IntegrityError("duplicate key value violates unique constraint (version conflict)"),
    OriginatorVersionError(3, 4),  # a cached aggregate another writer moved on
], ids=["integrity-error", "originator-version"])
def test_a_conflict_after_a_failing_batch_was_split_is_retried_not_dead_lettered(conflict):
    """The batch fails with an unclassified error until it is split; the first message then conflicts,
    again and again: it must wait for the other writer, never go to the DLQ with its position recorded."""
    records = [record(0), record(1)]
    unknown = [KeyError("raced")] * Backoff().unknown_attempts
    sink = ConflictingSink([*unknown, *[conflict] * 12, None, None])
    sub, consumer, dead = subscription(sink)

    asyncio.run(deliver(sub, consumer, records, rounds=40))

    assert dead.published == []
    assert sorted(sink.applied) == [0, 1]
    assert all(e is not None for e in sink.applied.values())  # applied with effect, not skipped


def test_a_conflict_wrapped_in_another_error_is_still_a_conflict():
    try:
        try:
            raise IntegrityError("version conflict")
        except IntegrityError as exc:
            raise RuntimeError("saving the waitlist failed") from exc
    except RuntimeError as wrapped:
        assert classify(wrapped) is Failure.TRANSIENT


def test_retrying_reruns_a_command_that_lost_a_race_with_growing_jittered_pauses():
    calls, pauses = [], []

    def command() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise IntegrityError("version conflict")
        return "saved"

    assert retrying(command, sleep=pauses.append) == "saved"
    assert len(calls) == 4 and len(pauses) == 3
    assert all(0 <= p <= 0.005 * 2**i for i, p in enumerate(pauses))


def test_retrying_gives_up_with_the_conflict_after_its_attempts():
    def command() -> None:
        raise IntegrityError("version conflict")

    with pytest.raises(IntegrityError):
        retrying(command, attempts=3, sleep=lambda s: None)


def test_retrying_stops_when_the_work_is_already_there():
    assert retrying(lambda: (_ for _ in ()).throw(IntegrityError("dup")), done=lambda: True) is None


def test_conflict_delays_are_capped():
    assert all(conflict_delay(n) <= 0.2 for n in range(40))
