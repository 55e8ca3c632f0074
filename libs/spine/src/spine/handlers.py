"""Message handlers that change event-sourced aggregates (saga steps, reactions to other services).

A handler saves its aggregates with `app.save_tracked(..., tracking=tracking)`: the new events and the
Kafka position commit together in the application's own database, so a redelivered message is
rejected atomically. A version conflict (another writer got there first) is retried from a reload
(`spine.retry.retrying`, jittered backoff).

A handler that also defines `handle_batch(envelopes, tracking)` gets all new messages of a fetched
partition batch at once, with the tracking of the last one, and saves them in one transaction: one
load and one save per aggregate instead of one per message. If the batch fails, the consumer retries
the messages one by one (as batches of one), which isolates a poison message.

Failures are the consumer's to classify (`spine.errors`): a version conflict that outlives the quick
retries here is transient (the partition is paused and retried with backoff, never dead-lettered); a
handler raises `spine.errors.Poison` for a message that can never be applied.
"""

from __future__ import annotations

from typing import Protocol

from eventsourcing.persistence import Tracking

from contracts import Envelope
from spine import context
from spine.eventstore import ServiceApplication
from spine.retry import retrying


class MessageHandler(Protocol):
    """What a worker needs of a handler."""

    name: str
    topics: tuple[str, ...]

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """Apply one message; save with `tracking` so the change and the position commit together."""


def caused_by_message(envelope: Envelope):
    """Bind the message's correlation, id (as causation) and actor while handling it."""
    return context.caused_by(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                             actor_id=envelope.actor_id)


def tracking_name(handler_name: str, topic: str, partition: int) -> str:
    """One tracking row per handler and topic-partition; the offset is the position."""
    return f"{handler_name}:{topic}:{partition}"


class HandlerSink:
    """Feeds a handler from Kafka through a `spine.consumer.Subscription`."""

    def __init__(self, handler: MessageHandler, app: ServiceApplication, *, conflict_retries: int = 5):
        self.handler = handler
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
        recorder = self.app.process_recorder
        if hasattr(self.handler, "handle_batch"):
            last = self._last.get(name)
            if last is None:
                last = recorder.max_tracking_id(name)
            fresh = [(o, e) for o, e in batch if last is None or o > last]
            if fresh:
                envelopes = [e for _, e in fresh if e is not None]
                self._with_retries(lambda t: self.handler.handle_batch(envelopes, t), Tracking(name, fresh[-1][0]))
                self._last[name] = fresh[-1][0]
            return
        for offset, envelope in batch:
            if recorder.has_tracking_id(name, offset):
                continue  # already applied: a redelivery
            tracking = Tracking(name, offset)
            if envelope is None:
                recorder.insert_tracking(tracking)
                continue
            self._handle(envelope, tracking)

    def _handle(self, envelope: Envelope, tracking: Tracking) -> None:
        with caused_by_message(envelope):
            self._with_retries(lambda t: self.handler.handle(envelope, t), tracking)

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
