"""Seat commands of the booking saga, in the domain's own terms (contracts.events has their public form)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events_service.domain.event import Event
from events_service.domain.unknown_event import UnknownEventAnswers

SeatTarget = Event | UnknownEventAnswers


@dataclass(frozen=True)
class ReserveSeats:
    """Hold `seats` of an event for a booking; `attempt` grows each time that booking asks again; `repeat`:
    the same attempt asked again after no answer came (answered again, seats untouched)."""

    event_id: UUID
    booking_id: UUID
    seats: int
    attempt: int = 1
    repeat: bool = False

    def apply_to(self, target: SeatTarget, now: datetime) -> None:
        """Run on the event it names, or answer "unknown_event" when there is no such event."""
        if isinstance(target, UnknownEventAnswers):
            target.reject_reservation(self.booking_id, self.seats, attempt=self.attempt, repeat=self.repeat)
        else:
            target.reserve_seats(self.booking_id, self.seats, attempt=self.attempt, now=now, repeat=self.repeat)


@dataclass(frozen=True)
class ReleaseSeats:
    """Give back a booking's seats; `command_id` (the message id) makes a repeated release harmless."""

    event_id: UUID
    booking_id: UUID
    reason: str
    command_id: str | None = None

    def apply_to(self, target: SeatTarget, now: datetime) -> None:
        """Nothing is ever held on an event that does not exist, so there is nothing to release there."""
        if isinstance(target, Event):
            target.release_seats(self.booking_id, reason=self.reason, command_id=self.command_id)


SeatCommand = ReserveSeats | ReleaseSeats
