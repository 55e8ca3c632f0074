"""Message handlers that change event-sourced aggregates (saga steps, reactions to other services).

One protocol, `BatchHandler.handle_batch(envelopes, tracking)`: the new messages of a fetched partition
batch, in offset order, saved with the tracking of the last one in one transaction (usually through a
`spine.unit.Unit`: one load and one save per aggregate instead of one per message). A redelivered message
is rejected atomically. A handler written for one message at a time (`MessageHandler.handle`) is adapted
once, when its sink is built (`batched` → `OneAtATime`): it gets batches of one, each saved with its own
position. If a batch fails, the consumer retries its messages one by one (as batches of one), which
isolates a poison message. A version conflict (another writer got there first) is retried from a reload
(`spine.retry.retrying`, jittered backoff).

Failures are the consumer's to classify (`spine.errors`): a version conflict that outlives the quick
retries here is transient (the partition is paused and retried with backoff, never dead-lettered); a
handler raises `spine.errors.Poison` for a message that can never be applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from eventsourcing.persistence import Tracking

from contracts import Envelope
from spine import context
from spine.consumer import Sink
from spine.eventstore import ServiceApplication
from spine.retry import retrying


class MessageHandler(Protocol):
    """What a worker needs of a handler."""

    name: str

    @property
    def topics(self) -> tuple[str, ...]:
        """Read-only, so a handler may declare a fixed-length tuple (`topics = (A, B)`)."""

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """Apply one message; save with `tracking` so the change and the position commit together."""


@runtime_checkable
class BatchHandler(Protocol):
    """What a handler sink drives: a handler of whole partition batches."""

    name: str

    @property
    def topics(self) -> tuple[str, ...]:
        """Read-only, as for MessageHandler."""

    def handle_batch(self, envelopes: Sequence[Envelope], tracking: Tracking) -> None:
        """Apply messages in order (each under its own cause); save everything with `tracking`, atomically."""


class OneAtATime:
    """A one-message handler as a `BatchHandler`: its sink hands it batches of one, each with its own position."""

    def __init__(self, handler: MessageHandler):
        self.handler = handler
        self.name = handler.name
        self.topics = handler.topics

    def handle_batch(self, envelopes: Sequence[Envelope], tracking: Tracking) -> None:
        assert len(envelopes) <= 1, "a one-message handler gets batches of one"
        for envelope in envelopes:
            with caused_by_message(envelope):
                self.handler.handle(envelope, tracking)


def batched(handler: BatchHandler | MessageHandler) -> BatchHandler:
    """The handler as a `BatchHandler`, decided once when its sink is built."""
    return handler if isinstance(handler, BatchHandler) else OneAtATime(handler)


def caused_by_message(envelope: Envelope):
    """Bind the message's correlation, id (as causation) and actor while handling it."""
    return context.caused_by(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                             actor_id=envelope.actor_id)


def tracking_name(handler_name: str, topic: str, partition: int) -> str:
    """One tracking row per handler and topic-partition; the offset is the position."""
    return f"{handler_name}:{topic}:{partition}"


class HandlerSink(Sink):
    """Feeds a handler from Kafka through a `spine.consumer.Subscription`."""

    def __init__(self, handler: BatchHandler | MessageHandler, app: ServiceApplication, *, conflict_retries: int = 5):
        self.handler = batched(handler)
        # A one-message handler saves each message with its own position: its batches are of one.
        self.step = 1 if isinstance(self.handler, OneAtATime) else None
        self.app = app
        self.name = handler.name
        self.topics = handler.topics
        self.conflict_retries = conflict_retries
        # Last applied offset per tracking name, as this process applied it: read from the database on
        # (re)assignment (`next_offsets`), then kept here instead of one query per batch.
        self._last: dict[str, int] = {}

    def next_offsets(self, topic: str) -> dict[int, int]:
        # Partition count is not known here: ask for the ones we may have tracked (64 is plenty locally).
        recorder = self.app.process_recorder
        offsets = {}
        for partition in range(64):
            name = tracking_name(self.name, topic, partition)
            last = recorder.max_tracking_id(name)
            if last is not None:
                offsets[partition] = last + 1
                self._last[name] = last
            else:
                self._last.pop(name, None)
        return offsets

    def is_recorded(self, topic: str, partition: int, offset: int) -> bool:
        return self.app.process_recorder.has_tracking_id(tracking_name(self.name, topic, partition), offset)

    def apply(self, topic: str, partition: int, batch: list[tuple[int, Envelope | None]]) -> None:
        name = tracking_name(self.name, topic, partition)
        last = self._last.get(name)
        if last is None:
            last = self.app.process_recorder.max_tracking_id(name)
        fresh = [(o, e) for o, e in batch if last is None or o > last]  # older ones: a redelivery
        step = self.step or max(1, len(fresh))
        for start in range(0, len(fresh), step):
            chunk = fresh[start:start + step]
            envelopes = [e for _, e in chunk if e is not None]
            self._with_retries(lambda t, envelopes=envelopes: self.handler.handle_batch(envelopes, t),
                               Tracking(name, chunk[-1][0]))
            self._last[name] = chunk[-1][0]

    def apply_poll(self, batches: dict[tuple[str, int], list[tuple[int, Envelope | None]]]) -> None:
        """A poll's partitions one after another, each atomic with its position (not yet one transaction
        for all: the event store records one tracking row per save)."""
        for (topic, partition), batch in batches.items():
            self.apply(topic, partition, batch)

    def _with_retries(self, step, tracking: Tracking) -> None:
        recorder = self.app.process_recorder

        def recorded() -> bool:  # a concurrent redelivery of the same message already did it
            return recorder.has_tracking_id(tracking.application_name, tracking.notification_id)

        def once() -> None:
            step(tracking)
            if not recorded():
                # The handler had nothing to save: record the position on its own.
                recorder.insert_tracking(tracking)

        # A conflict that outlives these tries is transient for the consumer: it pauses and retries later.
        retrying(once, attempts=self.conflict_retries, done=recorded)
