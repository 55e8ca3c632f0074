"""Answers to seat commands addressed to an event that does not exist.

The booking saga waits for an answer to every ReserveSeats; an id that names no event must still get
one (SeatsRejected with reason "unknown_event"), recorded in the event store like every other answer so
the relay publishes it exactly like the rest. One small aggregate per unknown event id, with a
deterministic id, so a redelivered command finds the answers already given.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events_service.domain import errors

UNKNOWN_EVENT = "unknown_event"


class UnknownEventAnswers(Aggregate):
    """The refusals given for one event id that names no event."""

    # Declared so type checkers see their fields; names (stored topics) and fields are those already stored.
    class Opened(Aggregate.Created):
        event_id: UUID

    class SeatsRejected(Aggregate.Event):
        event_id: UUID
        booking_id: UUID
        seats: int
        attempt: int
        reason: str

    class LeaseRefused(Aggregate.Event):
        event_id: UUID
        lease_id: UUID
        seats: int
        reason: str

    @staticmethod
    def create_id(event_id: UUID, **_: Any) -> UUID:
        return UnknownEventAnswers.id_for(event_id)

    @staticmethod
    def id_for(event_id: UUID) -> UUID:
        """Where the answers for `event_id` are kept."""
        return uuid5(NAMESPACE_URL, f"/unknown-events/{event_id}")

    @event(Opened)
    def __init__(self, event_id: UUID) -> None:
        self.event_id = event_id
        self.last_attempt: dict[str, int] = {}  # keyed by str(booking_id), as on Event

    def reject_reservation(self, booking_id: UUID, seats: int, *, attempt: int = 1, repeat: bool = False) -> None:
        """Answer a ReserveSeats with "unknown_event"; the same attempt again changes nothing, unless the
        sweeper asks again (`repeat`): then the answer is given again."""
        if seats < 1:
            raise errors.InvalidSeatCount(f"a booking needs at least one seat, not {seats}")
        last = self.last_attempt.get(str(booking_id), 0)
        if attempt < last or (attempt == last and not repeat):
            return
        self._seats_rejected(event_id=self.event_id, booking_id=booking_id, seats=seats, attempt=attempt,
                             reason=UNKNOWN_EVENT)

    @event(SeatsRejected)
    def _seats_rejected(self, event_id: UUID, booking_id: UUID, seats: int, attempt: int, reason: str) -> None:
        self.last_attempt[str(booking_id)] = attempt

    def refuse_lease(self, lease_id: UUID, seats: int) -> None:
        """Answer a RequestSeatLease with "unknown_event" (again, each time it is asked: nothing to change)."""
        self._lease_refused(event_id=self.event_id, lease_id=lease_id, seats=seats, reason=UNKNOWN_EVENT)

    @event(LeaseRefused)
    def _lease_refused(self, event_id: UUID, lease_id: UUID, seats: int, reason: str) -> None:
        pass
