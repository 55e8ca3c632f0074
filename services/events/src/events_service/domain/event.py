"""The Event aggregate: one scheduled event, its details, its seat capacity and who may change it.

It is the only place that decides about seats (DESIGN §4): `0 <= seats_taken <= max_participants`
always holds. The booking saga reserves and releases seats per booking (`reserve_seats`,
`release_seats`); every answer, including a refusal, is recorded so the saga always hears back.

Duplicate commands (a relay re-publishing after a crash) change nothing: each booking's reservation
attempts only go up, so an attempt at or below the last answered one is ignored, and a release
command that was already applied for a booking is ignored by its message id. A ReserveSeats marked
`repeat` (the bookings sweeper asking again after no answer came) gets the last attempt's answer again,
recorded as a repeat with the seats untouched, so an answer lost on the way is recovered.

Seat leases (escrow, issue 8): the bookings service may hold a block of seats (`lease_seats`) and confirm
free bookings from it on its own; it gives back what it does not use (`return_leased_seats`). The Event only
ever counts them: `seats_taken + seats_leased <= max_participants` always holds, so however bookings spends a
lease it cannot oversell. Each lease and return is named by an id: the same id again changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from events_service.domain import errors
from events_service.domain.details import EventDetails, check_details, check_methods_enabled

SCHEDULED, CANCELLED = "scheduled", "cancelled"

# Why a reservation is refused (contracts.events.SeatsRejectedReason; "unknown_event" lives in unknown_event.py).
FULL, EVENT_CANCELLED, NOT_BOOKABLE = "full", "event_cancelled", "not_bookable"
PAID_EVENT = "paid_event"  # a lease refusal only: paid bookings keep the per-booking path


@dataclass(frozen=True)
class Actor:
    """Who is asking: their user id and whether their role may manage any organizer's events."""

    user_id: UUID
    may_manage_any: bool = False


class Event(Aggregate):
    """An event people can book seats for."""

    # Version 2 added the per-booking seat ledger; older snapshots are upcast below.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("reservations", {})
        state.setdefault("last_attempt", {})
        state.setdefault("release_commands", {})

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        # Version 3 added seat leases.
        state.setdefault("seats_leased", 0)
        state.setdefault("lease_answers", {})
        state.setdefault("returns", [])

    # The recorded events, declared so type checkers see their fields. Their names (the stored topics, e.g.
    # "events_service.domain.event:Event.Scheduled") and fields are those of the events already stored: keep
    # them; a field added later needs a default (tests/unit/test_stored_event_replay.py).
    class Scheduled(Aggregate.Created):
        details: dict[str, Any]
        created_by: UUID

    class Updated(Aggregate.Event):
        changes: dict[str, Any]
        seats_available: int

    class Cancelled(Aggregate.Event):
        reason: str | None

    class SeatsReserved(Aggregate.Event):
        booking_id: UUID
        seats: int
        attempt: int
        seats_available: int

    class SeatsRejected(Aggregate.Event):
        booking_id: UUID
        seats: int
        attempt: int
        reason: str
        seats_available: int

    class SeatsReservationRepeated(Aggregate.Event):
        booking_id: UUID
        seats: int
        attempt: int
        seats_available: int

    class SeatsRejectionRepeated(Aggregate.Event):
        booking_id: UUID
        seats: int
        attempt: int
        reason: str
        seats_available: int

    class SeatsReleased(Aggregate.Event):
        booking_id: UUID
        seats: int
        reason: str
        command_id: str | None
        seats_available: int

    class SeatsLeased(Aggregate.Event):
        lease_id: UUID
        seats: int
        seats_leased: int
        seats_unallocated: int

    class LeaseRefused(Aggregate.Event):
        lease_id: UUID
        seats: int
        reason: str

    class LeaseAnswerRepeated(Aggregate.Event):
        lease_id: UUID
        seats: int
        granted: int
        reason: str | None
        seats_leased: int
        seats_unallocated: int

    class LeasedSeatsReturned(Aggregate.Event):
        return_id: UUID
        seats: int
        reason: str
        seats_leased: int
        seats_unallocated: int

    @classmethod
    def schedule(cls, details: EventDetails, *, created_by: UUID, now: datetime | None = None,
                 enabled_methods: Collection[str] | None = None) -> Event:
        """Publish a new event after checking every rule on its details (and, when given, that it advertises
        only the payment methods switched on)."""
        details = details.normalised()
        check_details(details, now=now or datetime.now(UTC))
        if enabled_methods is not None:
            check_methods_enabled(details, enabled_methods)
        return cls(details=details.as_state(), created_by=created_by)

    @event(Scheduled)
    def __init__(self, details: dict[str, Any], created_by: UUID) -> None:
        self.details_state = dict(details)
        self.created_by = created_by
        self.seats_taken = 0
        # Keyed by str(booking_id): snapshots are JSON, whose object keys are strings.
        self.reservations: dict[str, int] = {}  # seats held per booking
        self.last_attempt: dict[str, int] = {}  # highest ReserveSeats attempt answered per booking
        self.release_commands: dict[str, list[str]] = {}  # ids of ReleaseSeats applied per booking
        self.seats_leased = 0  # seats out on lease to bookings' ledger (not the Event's to give)
        self.lease_answers: dict[str, list[Any]] = {}  # lease id → [seats granted, refusal reason or None]
        self.returns: list[str] = []  # ids of ReturnLeasedSeats applied
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
        """Seats the Event can still give (neither reserved nor out on lease)."""
        return self.max_participants - self.seats_taken - self.seats_leased

    def seats_bookable(self, lease_in_use: int | None) -> int:
        """What the catalogue shows as `seats_available`: capacity - reserved - leased seats bookings hold.

        Leased seats no booking holds are bookable at once (bookings confirms from its lease), so they count
        as free, though the Event may not give them. `lease_in_use` is the ledger's latest figure (bookings.v1);
        unknown (None), every leased seat counts as held. Never below the Event's own free seats."""
        return bookable_seats(self.seats_available, self.seats_leased, lease_in_use)

    @property
    def status(self) -> str:
        return CANCELLED if self.cancelled else SCHEDULED

    def update(self, changes: dict[str, Any], *, actor: Actor, now: datetime | None = None,
               enabled_methods: Collection[str] | None = None) -> dict[str, Any]:
        """Change some details; returns the fields that actually changed (nothing is recorded if none did)."""
        self.check_may_manage(actor)
        self.check_not_cancelled()
        current = self.details
        new = current.merged(changes).normalised()
        check_details(new, now=now or datetime.now(UTC), start_changed=new.start_time != current.start_time)
        if enabled_methods is not None:
            check_methods_enabled(new, enabled_methods, already=current.allowed_payment_methods)
        self.check_capacity_covers_seats_taken(new.max_participants)
        self.check_paid_switch_without_bookings(current.is_paid, new.is_paid)
        old_state = current.as_state()
        changed = {k: v for k, v in new.as_state().items() if v != old_state[k]}
        if changed:
            self._updated(changes=changed,
                          seats_available=new.max_participants - self.seats_taken - self.seats_leased)
        return changed

    @event(Updated)
    def _updated(self, changes: dict[str, Any], seats_available: int) -> None:
        # seats_available is recorded (not only derived) so the public EventUpdated can carry it.
        self.details_state.update(changes)

    def cancel(self, *, actor: Actor, reason: str | None = None, now: datetime | None = None) -> None:
        """Call the event off; the booking saga cancels and refunds its bookings (in full)."""
        self.check_may_manage(actor)
        self.check_not_cancelled()
        self.check_not_started_for(actor, now or datetime.now(UTC))
        self._cancelled(reason=(reason or "").strip() or None)

    @event(Cancelled)
    def _cancelled(self, reason: str | None) -> None:
        self.cancelled = True
        self.cancel_reason = reason

    def reserve_seats(self, booking_id: UUID, seats: int, *, attempt: int = 1, now: datetime | None = None,
                      repeat: bool = False) -> None:
        """Hold `seats` for a booking, or record why not (full, cancelled, already started); duplicates do nothing."""
        if seats < 1:
            raise errors.InvalidSeatCount(f"a booking needs at least one seat, not {seats}")
        key = str(booking_id)
        if attempt <= self.last_attempt.get(key, 0):
            if repeat and attempt == self.last_attempt[key]:
                self._repeat_answer(booking_id, seats, attempt, now or datetime.now(UTC))
            return  # this attempt (or a later one) was already answered: a duplicate command
        if key in self.reservations:
            return  # the booking already holds its seats; a second reservation would double them
        reason = self.refusal_reason(seats, now or datetime.now(UTC))
        if reason is not None:
            self._seats_rejected(booking_id=booking_id, seats=seats, attempt=attempt, reason=reason,
                                 seats_available=self.seats_available)
            return
        self.check_seats_within_capacity(self.seats_taken + self.seats_leased + seats)
        self._seats_reserved(booking_id=booking_id, seats=seats, attempt=attempt,
                             seats_available=self.seats_available - seats)

    def refusal_reason(self, seats: int, now: datetime) -> str | None:
        """Why `seats` cannot be held right now, or None when they can."""
        if self.cancelled:
            return EVENT_CANCELLED
        if now >= self.details.start_time:
            return NOT_BOOKABLE
        if seats > self.seats_available:
            return FULL
        return None

    def _repeat_answer(self, booking_id: UUID, seats: int, attempt: int, now: datetime) -> None:
        """The same attempt again: say again what it got, changing nothing (the asker may have missed it)."""
        held = self.reservations.get(str(booking_id))
        if held:
            self._reservation_repeated(booking_id=booking_id, seats=held, attempt=attempt,
                                       seats_available=self.seats_available)
            return
        # Not held: it was refused (a reservation released since belongs to a booking that moved on).
        self._rejection_repeated(booking_id=booking_id, seats=seats, attempt=attempt,
                                 reason=self.refusal_reason(seats, now) or FULL, seats_available=self.seats_available)

    @event(SeatsReservationRepeated)
    def _reservation_repeated(self, booking_id: UUID, seats: int, attempt: int, seats_available: int) -> None:
        pass

    @event(SeatsRejectionRepeated)
    def _rejection_repeated(self, booking_id: UUID, seats: int, attempt: int, reason: str,
                            seats_available: int) -> None:
        pass

    @event(SeatsReserved)
    def _seats_reserved(self, booking_id: UUID, seats: int, attempt: int, seats_available: int) -> None:
        # seats_available is recorded for the public SeatsReserved; the state is derived from seats.
        key = str(booking_id)
        self.reservations[key] = seats
        self.last_attempt[key] = attempt
        self.seats_taken += seats

    @event(SeatsRejected)
    def _seats_rejected(self, booking_id: UUID, seats: int, attempt: int, reason: str, seats_available: int) -> None:
        self.last_attempt[str(booking_id)] = attempt

    def release_seats(self, booking_id: UUID, *, reason: str, command_id: str | None = None) -> None:
        """Give back the seats a booking holds; a booking holding none, or a release seen before, changes nothing."""
        key = str(booking_id)
        if command_id is not None and command_id in self.release_commands.get(key, ()):
            return  # the same ReleaseSeats again, possibly after the booking re-reserved: must not free those
        seats = self.reservations.get(key)
        if not seats:
            return
        self.check_seats_within_capacity(self.seats_taken + self.seats_leased - seats)
        self._seats_released(booking_id=booking_id, seats=seats, reason=reason, command_id=command_id,
                             seats_available=self.seats_available + seats)

    @event(SeatsReleased)
    def _seats_released(self, booking_id: UUID, seats: int, reason: str, command_id: str | None,
                        seats_available: int) -> None:
        key = str(booking_id)
        self.seats_taken -= self.reservations.pop(key)
        if command_id is not None:
            self.release_commands.setdefault(key, []).append(command_id)

    # --- seat leases (escrow for bookings' ledger) ---------------------------------------------------------

    def lease_seats(self, lease_id: UUID, seats: int, *, now: datetime | None = None, repeat: bool = False) -> None:
        """Grant up to `seats` to the bookings ledger (all that are free, if fewer), or record why not. The same
        lease id again changes nothing; asked again as a `repeat` (the sweeper, after no answer came) it gets the
        same answer again, recorded as a repeat with the seats untouched."""
        if seats < 1:
            raise errors.InvalidSeatCount(f"a lease needs at least one seat, not {seats}")
        known = self.lease_answers.get(str(lease_id))
        if known is not None:
            if not repeat:
                return  # a duplicate (a re-published command): answered once already
            self._lease_answer_repeated(lease_id=lease_id, seats=seats, granted=known[0], reason=known[1],
                                        seats_leased=self.seats_leased, seats_unallocated=self.seats_available)
            return
        reason = self.lease_refusal_reason(now or datetime.now(UTC))
        granted = min(seats, self.seats_available)
        if reason is None and granted < 1:
            reason = FULL
        if reason is not None:
            self._lease_refused(lease_id=lease_id, seats=seats, reason=reason)
            return
        self.check_seats_within_capacity(self.seats_taken + self.seats_leased + granted)
        self._seats_leased(lease_id=lease_id, seats=granted, seats_leased=self.seats_leased + granted,
                           seats_unallocated=self.seats_available - granted)

    def lease_refusal_reason(self, now: datetime) -> str | None:
        """Why no seat can be leased right now (leases are for free events only), or None."""
        if self.cancelled:
            return EVENT_CANCELLED
        if now >= self.details.start_time:
            return NOT_BOOKABLE
        if self.details.is_paid:
            return PAID_EVENT
        return None

    @event(SeatsLeased)
    def _seats_leased(self, lease_id: UUID, seats: int, seats_leased: int, seats_unallocated: int) -> None:
        self.lease_answers[str(lease_id)] = [seats, None]
        self.seats_leased += seats

    @event(LeaseRefused)
    def _lease_refused(self, lease_id: UUID, seats: int, reason: str) -> None:
        self.lease_answers[str(lease_id)] = [0, reason]

    @event(LeaseAnswerRepeated)
    def _lease_answer_repeated(self, lease_id: UUID, seats: int, granted: int, reason: str | None,
                               seats_leased: int, seats_unallocated: int) -> None:
        pass

    def return_leased_seats(self, return_id: UUID, seats: int, *, reason: str) -> None:
        """Take back unused leased seats (also on a cancelled event); a return seen before changes nothing."""
        if str(return_id) in self.returns:
            return
        if not 1 <= seats <= self.seats_leased:
            raise errors.SeatsOutOfRange(f"cannot take back {seats} seats: {self.seats_leased} are out on lease")
        self._leased_seats_returned(return_id=return_id, seats=seats, reason=reason,
                                    seats_leased=self.seats_leased - seats,
                                    seats_unallocated=self.seats_available + seats)

    @event(LeasedSeatsReturned)
    def _leased_seats_returned(self, return_id: UUID, seats: int, reason: str, seats_leased: int,
                               seats_unallocated: int) -> None:
        self.returns.append(str(return_id))
        self.seats_leased -= seats

    def holds(self, booking_id: UUID) -> int:
        """Seats the booking holds (0 when none)."""
        return self.reservations.get(str(booking_id), 0)

    def check_seats_within_capacity(self, seats_taken: int) -> None:
        """Seats taken never go below zero nor above capacity, whatever a caller asks."""
        if not 0 <= seats_taken <= self.max_participants:
            raise errors.SeatsOutOfRange(
                f"{seats_taken} seats taken is outside 0..{self.max_participants}")

    def check_may_manage(self, actor: Actor) -> None:
        """Only the organizer who created the event, or a role with events:manage_any, may change it."""
        if actor.user_id != self.created_by and not actor.may_manage_any:
            raise errors.NotEventOrganizer("only the event's organizer or an admin may change it")

    def check_not_cancelled(self) -> None:
        """A cancelled event is final."""
        if self.cancelled:
            raise errors.EventAlreadyCancelled("the event is cancelled")

    def check_not_started_for(self, actor: Actor, now: datetime) -> None:
        """Once an event has started it took place, as far as its organizer is concerned: calling it off then
        would refund everyone who attended. Staff with events:manage_any may still cancel it (an event
        broken off by the venue, fraud) — an operational decision, with full refunds."""
        if now >= self.details.start_time and not actor.may_manage_any:
            raise errors.EventAlreadyStarted(
                f"the event started at {self.details.start_time.isoformat()}; only an admin can cancel it now")

    def check_paid_switch_without_bookings(self, was_paid: bool, is_paid: bool) -> None:
        """Bookings holding seats (confirmed, or held while awaiting payment) were made on free or paid terms:
        switching the event to the other would leave them confirmed without paying, or charged for nothing."""
        held = self.seats_taken + self.seats_leased
        if was_paid != is_paid and held > 0:
            raise errors.PaidSwitchWithBookings(
                f"the event cannot become {'paid' if is_paid else 'free'}: bookings hold {held} "
                f"seat{'s' * (held != 1)} on {'paid' if was_paid else 'free'} terms; cancel them first")

    def check_capacity_covers_seats_taken(self, max_participants: int) -> None:
        """Shrinking capacity must not take away seats people already hold, nor seats out on lease (the bookings
        ledger gives idle leased seats back within seconds, so a retry soon after succeeds)."""
        if max_participants < self.seats_taken + self.seats_leased:
            leased = f" and {self.seats_leased} out on lease" if self.seats_leased else ""
            raise errors.CapacityBelowSeatsTaken(
                f"max_participants {max_participants} is below the {self.seats_taken} seats already taken{leased}")


def bookable_seats(unallocated: int, leased: int, lease_in_use: int | None) -> int:
    """The Event's free seats plus the lease's free ones (`Event.seats_bookable`; the catalogue's SQL mirrors it).

    Clamped: the two figures travel on different topics, and a ledger figure ahead of the Event's lease count
    must never show fewer seats than the Event itself has free."""
    in_use = leased if lease_in_use is None else lease_in_use
    return unallocated + max(0, leased - in_use)
