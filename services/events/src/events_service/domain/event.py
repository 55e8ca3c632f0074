"""The Event aggregate: one scheduled event, its details, its seat capacity and who may change it.

It is the only place that decides about seats (DESIGN §4): `0 <= seats_taken <= max_participants`
always holds. Seats are reserved by the booking saga (a later change); until then `seats_taken` is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from events_service.domain import errors
from events_service.domain.details import EventDetails, check_details

SCHEDULED, CANCELLED = "scheduled", "cancelled"


@dataclass(frozen=True)
class Actor:
    """Who is asking: their user id and whether their role may manage any organizer's events."""

    user_id: UUID
    may_manage_any: bool = False


class Event(Aggregate):
    """An event people can book seats for."""

    @classmethod
    def schedule(cls, details: EventDetails, *, created_by: UUID, now: datetime | None = None) -> Event:
        """Publish a new event after checking every rule on its details."""
        details = details.normalised()
        check_details(details, now=now or datetime.now(UTC))
        return cls(details=details.as_state(), created_by=created_by)

    @event("Scheduled")
    def __init__(self, details: dict[str, Any], created_by: UUID) -> None:
        self.details_state = dict(details)
        self.created_by = created_by
        self.seats_taken = 0
        self.cancelled = False
        self.cancel_reason: str | None = None

    @property
    def details(self) -> EventDetails:
        """The current details as a value object."""
        return EventDetails.from_state(self.details_state)

    @property
    def max_participants(self) -> int:
        return int(self.details_state["max_participants"])

    @property
    def seats_available(self) -> int:
        """Seats still free for booking."""
        return self.max_participants - self.seats_taken

    @property
    def status(self) -> str:
        return CANCELLED if self.cancelled else SCHEDULED

    def update(self, changes: dict[str, Any], *, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
        """Change some details; returns the fields that actually changed (nothing is recorded if none did)."""
        self.check_may_manage(actor)
        self.check_not_cancelled()
        current = self.details
        new = current.merged(changes).normalised()
        check_details(new, now=now or datetime.now(UTC), start_changed=new.start_time != current.start_time)
        self.check_capacity_covers_seats_taken(new.max_participants)
        old_state = current.as_state()
        changed = {k: v for k, v in new.as_state().items() if v != old_state[k]}
        if changed:
            self._updated(changes=changed, seats_available=new.max_participants - self.seats_taken)
        return changed

    @event("Updated")
    def _updated(self, changes: dict[str, Any], seats_available: int) -> None:
        # seats_available is recorded (not only derived) so the public EventUpdated can carry it.
        self.details_state.update(changes)

    def cancel(self, *, actor: Actor, reason: str | None = None) -> None:
        """Call the event off; the booking saga cancels and refunds its bookings."""
        self.check_may_manage(actor)
        self.check_not_cancelled()
        self._cancelled(reason=(reason or "").strip() or None)

    @event("Cancelled")
    def _cancelled(self, reason: str | None) -> None:
        self.cancelled = True
        self.cancel_reason = reason

    def check_may_manage(self, actor: Actor) -> None:
        """Only the organizer who created the event, or a role with events:manage_any, may change it."""
        if actor.user_id != self.created_by and not actor.may_manage_any:
            raise errors.NotEventOrganizer("only the event's organizer or an admin may change it")

    def check_not_cancelled(self) -> None:
        """A cancelled event is final."""
        if self.cancelled:
            raise errors.EventAlreadyCancelled("the event is cancelled")

    def check_capacity_covers_seats_taken(self, max_participants: int) -> None:
        """Shrinking capacity must not take away seats people already hold."""
        if max_participants < self.seats_taken:
            raise errors.CapacityBelowSeatsTaken(
                f"max_participants {max_participants} is below the {self.seats_taken} seats already taken")
