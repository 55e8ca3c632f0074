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


@dataclass(frozen=True)
class RequestSeatLease:
    """Grant bookings' ledger up to `seats` seats in escrow; `lease_id` makes a repeated request harmless, and
    `repeat` (the sweeper asking again) gets an answered lease its answer again."""

    event_id: UUID
    lease_id: UUID
    seats: int
    repeat: bool = False

    def apply_to(self, target: SeatTarget, now: datetime) -> None:
        """Run on the event, or answer "unknown_event" when there is no such event."""
        if isinstance(target, UnknownEventAnswers):
            target.refuse_lease(self.lease_id, self.seats)
        else:
            target.lease_seats(self.lease_id, self.seats, now=now, repeat=self.repeat)


@dataclass(frozen=True)
class ReturnLeasedSeats:
    """Take back unused leased seats; `return_id` makes a repeated return harmless."""

    event_id: UUID
    return_id: UUID
    seats: int
    reason: str

    def apply_to(self, target: SeatTarget, now: datetime) -> None:
        """Nothing is ever leased on an event that does not exist."""
        if isinstance(target, Event):
            target.return_leased_seats(self.return_id, self.seats, reason=self.reason)


SeatCommand = ReserveSeats | ReleaseSeats | RequestSeatLease | ReturnLeasedSeats
