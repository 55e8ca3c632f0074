"""Applying a batch of seat commands: each event loaded once, every answer saved in one transaction.

The commands of one event arrive on one Kafka partition (keyed by event id) and one consumer applies
them, so there is a single writer per event and a batch of hundreds of reservations costs one load and
one save instead of hundreds of contended round trips. Built on spine's batch unit (`spine.unit.Unit`):
loading, per-command causes and the tracked save are spine's; what a seat command is applied to is ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import Tracking

from spine.unit import Unit

from events_service.domain import Event, SeatCommand, UnknownEventAnswers
from events_service.domain.seats import SeatTarget

if TYPE_CHECKING:
    from events_service.application import Events


class SeatBatch:
    """A unit of work over the events named by one batch of seat commands."""

    def __init__(self, app: Events, now: datetime | None = None):
        self.unit = Unit(app)
        self.now = now or datetime.now(UTC)

    def preload(self, event_ids: Iterable[UUID]) -> None:
        """Load the batch's events (and where refusals for unknown ids are kept) with one query."""
        ids = list(dict.fromkeys(event_ids))
        self.unit.preload([*ids, *(UnknownEventAnswers.id_for(i) for i in ids)])

    def apply(self, command: SeatCommand) -> None:
        """Apply one command in order; the answers it records carry the cause bound right now."""
        with self.unit.message():
            command.apply_to(self.target(command.event_id), self.now)

    def target(self, event_id: UUID) -> SeatTarget:
        """The event, loaded once per batch; for an id naming no event, where its refusals are recorded."""
        found = self.unit.get(event_id, Event)
        if found is not None:
            return found
        answers = self.unit.get(UnknownEventAnswers.id_for(event_id), UnknownEventAnswers)
        return answers if answers is not None else self.unit.add(UnknownEventAnswers(event_id=event_id))

    def save(self, tracking: Tracking) -> None:
        """Every answer of the batch and the batch's Kafka position, atomically."""
        self.unit.save(tracking)
