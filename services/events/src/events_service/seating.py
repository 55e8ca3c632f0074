"""Applying a batch of seat commands: each event loaded once, every answer saved in one transaction.

The commands of one event arrive on one Kafka partition (keyed by event id) and one consumer applies
them, so there is a single writer per event and a batch of hundreds of reservations costs one load and
one save instead of hundreds of contended round trips.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking
from spine import context
from spine.eventstore import CAUSE_KEY

from events_service.domain import Event, SeatCommand, UnknownEventAnswers
from events_service.domain.seats import SeatTarget

if TYPE_CHECKING:
    from events_service.application import Events


class SeatBatch:
    """A unit of work over the events named by one batch of seat commands."""

    def __init__(self, app: Events, now: datetime | None = None):
        self.app = app
        self.now = now or datetime.now(UTC)
        self.targets: dict[UUID, SeatTarget] = {}

    def apply(self, command: SeatCommand) -> None:
        """Apply one command in order; the answers it records carry the cause bound right now."""
        target = self.target(command.event_id)
        already_pending = len(target.pending_events)
        command.apply_to(target, self.now)
        # The store stamps causes when saving, which is once per batch: stamp each command's own now.
        cause = context.current().as_dict()
        if cause:
            for new_event in target.pending_events[already_pending:]:
                vars(new_event)[CAUSE_KEY] = cause

    def target(self, event_id: UUID) -> SeatTarget:
        """The event, loaded once per batch; for an id naming no event, where its refusals are recorded."""
        if event_id not in self.targets:
            self.targets[event_id] = self._load(event_id)
        return self.targets[event_id]

    def _load(self, event_id: UUID) -> SeatTarget:
        try:
            found = self.app.repository.get(event_id)
            if isinstance(found, Event):
                return found
        except AggregateNotFoundError:
            pass
        try:
            return self.app.repository.get(UnknownEventAnswers.id_for(event_id))
        except AggregateNotFoundError:
            return UnknownEventAnswers(event_id=event_id)

    def save(self, tracking: Tracking) -> None:
        """Every answer of the batch and the batch's Kafka position, atomically."""
        self.app.save_tracked(*self.targets.values(), tracking=tracking)
        # The cache fast-forwards from the store on each load (other processes write too), so it would
        # re-read this whole batch next time; what was just saved is exactly the stored state.
        cache = self.app.repository.cache
        if cache is not None:
            for aggregate in self.targets.values():
                cache.put(aggregate.id, aggregate)
