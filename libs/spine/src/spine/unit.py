"""The batch unit of work: a whole batch of messages changes aggregates in memory, then saves once.

* Each aggregate is loaded at most once per unit, many at a time (`preload`, one query via `get_many`),
  and what was found is remembered — "nothing stored under this id" too, so asking twice costs nothing.
* Within `message(envelope)`, the unit records which aggregates the message touched (those it asked the
  unit for, or added) and, when the message is done, gives the events it recorded on them the message's
  cause (correlation, causation, actor). Only those: a 500-message batch over 500 bookings does not walk
  every loaded aggregate for every message.
* `save(tracking)` writes every changed aggregate and the batch's position in one transaction (or the
  position alone when nothing changed), then keeps the saved state in the application's cache, so the
  next batch reads only what others wrote since.

Service-specific parts (which aggregates a saga step needs, read-model lookups, a fallback aggregate for
an unknown id) are built on top, in the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from contracts import Envelope
from spine import context
from spine.eventstore import CAUSE_KEY, ServiceApplication
from spine.handlers import caused_by_message

A = TypeVar("A")


class Unit:
    """Aggregates of one batch, loaded once, stamped per message, saved together."""

    def __init__(self, app: ServiceApplication):
        self.app = app
        self._loaded: dict[UUID, Any | None] = {}
        # While a message is applied: aggregate id → its pending events before the message touched it.
        self._marks: dict[UUID, int] | None = None

    def preload(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load the aggregates a batch will need with one query (those not loaded yet)."""
        missing = [i for i in dict.fromkeys(aggregate_ids) if i not in self._loaded]
        if missing:
            self._loaded.update(self.app.get_many(missing))

    def get(self, aggregate_id: UUID, kind: type[A] | None = None) -> A | None:
        """The aggregate (None when none is stored, or it is not a `kind`); loaded once per unit."""
        if aggregate_id not in self._loaded:
            self.preload([aggregate_id])
        found = self._loaded[aggregate_id]
        if found is None or (kind is not None and not isinstance(found, kind)):
            return None
        self._touch(aggregate_id, found)
        return found

    def add(self, aggregate: A) -> A:
        """A new aggregate made in this unit (saved with the others); all its events are this message's."""
        self._loaded[aggregate.id] = aggregate  # type: ignore[attr-defined]
        if self._marks is not None:
            self._marks[aggregate.id] = 0  # type: ignore[attr-defined]
        return aggregate

    def _touch(self, aggregate_id: UUID, aggregate: Any) -> None:
        if self._marks is not None and aggregate_id not in self._marks:
            self._marks[aggregate_id] = len(aggregate.pending_events)

    @contextmanager
    def message(self, envelope: Envelope | None = None, cause: dict[str, str] | None = None) -> Iterator[None]:
        """Apply one message: bind its cause, and stamp it on the events it recorded (only on what it touched)."""
        self._marks = {}
        try:
            if envelope is not None:
                with caused_by_message(envelope):
                    yield
                    self._stamp(context.current().as_dict())
            else:
                yield
                self._stamp(cause if cause is not None else context.current().as_dict())
        finally:
            self._marks = None

    def _stamp(self, cause: dict[str, str]) -> None:
        if not cause or not self._marks:
            return
        for aggregate_id, mark in self._marks.items():
            aggregate = self._loaded.get(aggregate_id)
            if aggregate is None:
                continue
            for domain_event in aggregate.pending_events[mark:]:
                vars(domain_event).setdefault(CAUSE_KEY, cause)  # frozen dataclasses; __dict__ is writable

    def changed(self) -> list[Any]:
        """Every aggregate of the unit with new events to save."""
        return [a for a in self._loaded.values() if a is not None and a.pending_events]

    def save(self, tracking: Tracking | None = None) -> None:
        """Every change and the batch's position, atomically; then the saved state goes into the cache."""
        changed = self.changed()
        if changed:
            self.app.save(*changed, tracking=tracking)
        elif tracking is not None:
            self.app.process_recorder.insert_tracking(tracking)
        cache = self.app.repository.cache
        if cache is not None:
            # The cache fast-forwards from the store on each load (other processes write too); what was just
            # saved is exactly the stored state, so the next load reads only newer events.
            for aggregate in changed:
                cache.put(aggregate.id, aggregate)
