"""The per-event seat lease ledger (issue 8): the escrow that lets free bookings be confirmed at once.

The Event (events service) grants this ledger blocks of seats (`SeatsLeased`) and never counts them as its
own until they come back (`LeasedSeatsReturned`): it keeps `reserved + leased <= capacity`. This ledger keeps
`confirmed + held from the lease <= leased` — so together no seat is ever given twice, whatever the order of
messages, crashes or retries (the escrow / demarcation pattern: each side spends only its own share).

Both are single aggregates with optimistic version checks, so the two sums are each guarded by one writer.
Leases and returns are named by ids derived from the ledger and a counter: a request lost in a crash is
asked again with the same id, and the Event answers it again instead of granting twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

REFUSAL_BACKOFF = timedelta(seconds=5)  # after "full", the Event is not asked again sooner than this


class LeaseOverdrawn(Exception):
    """Raised when more seats would be taken from, or returned out of, the lease than it has free (a bug)."""


def seat_ledger_id(event_id: UUID) -> UUID:
    """Deterministic: every writer of one event's bookings finds the same ledger."""
    return uuid5(NAMESPACE_URL, f"/seat-ledgers/{event_id}")


class SeatLedger(Aggregate):
    """Seats leased from one event, and which bookings hold them."""

    @staticmethod
    def create_id(event_id: UUID) -> UUID:
        return seat_ledger_id(event_id)

    class Opened(Aggregate.Created):
        event_id: UUID

    @event(Opened)
    def __init__(self, event_id: UUID) -> None:
        self.event_id = event_id
        self.leased = 0  # granted by the Event and not returned
        self.holders: dict[str, int] = {}  # str(booking_id) → seats it holds from the lease
        self.in_use = 0  # sum of holders
        self.asked: dict[str, int] = {}  # lease id → seats asked, not answered yet
        self.asked_at: str | None = None  # ISO time the open lease was (last) asked
        self.leases_asked = 0  # counter behind the deterministic lease ids
        self.returns_made = 0  # counter behind the deterministic return ids
        self.refused_at: str | None = None  # last "full" refusal (ISO); the Event is not pressed meanwhile
        self.closed = False  # the event will never lease again (cancelled, started, paid, unknown)
        self.last_taken_at: str | None = None  # when a booking last took seats (idle leases go back)
        self.use_noted = (0, 0)  # (leased, in_use) as last told to the catalogue (`UseNoted`)

    def __deepcopy__(self, memo: dict[int, Any]) -> SeatLedger:
        """State is scalars and flat dicts of str → int: copying the containers one level deep is a full copy
        (the repository copies the cached ledger on every load; a generic deepcopy of its holders cost the
        api writer ~10 ms per batch in a rush)."""
        copy = object.__new__(type(self))
        copy.__dict__ = {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in self.__dict__.items()}
        return copy

    # --- queries ----------------------------------------------------------------------------------------

    @property
    def free(self) -> int:
        """Leased seats no booking holds: what may be confirmed right now."""
        return self.leased - self.in_use

    def may_ask(self, now: datetime) -> bool:
        """A new lease may be asked: none open, not closed, not refused as full a moment ago."""
        if self.closed or self.asked:
            return False
        return self.refused_at is None or now - datetime.fromisoformat(self.refused_at) >= REFUSAL_BACKOFF

    def is_idle(self, now: datetime, after: timedelta) -> bool:
        """Free seats nobody took for `after`: they go back to the Event (others may want them). A lease just
        granted counts from when it was asked, so it is not handed back before anyone could use it."""
        stamps = [datetime.fromisoformat(t) for t in (self.last_taken_at, self.asked_at) if t is not None]
        return self.free > 0 and (not stamps or now - max(stamps) >= after)

    def stale_lease(self, now: datetime, after: timedelta) -> UUID | None:
        """The open lease if it was asked `after` ago and never answered (to be asked again, same id)."""
        if self.asked and self.asked_at is not None and now - datetime.fromisoformat(self.asked_at) >= after:
            return UUID(next(iter(self.asked)))
        return None

    # --- asking the Event ---------------------------------------------------------------------------------

    def ask(self, seats: int, now: datetime) -> UUID | None:
        """Ask the Event for `seats` (RequestSeatLease); the lease id, or None when asking is not allowed now."""
        if seats < 1 or not self.may_ask(now):
            return None
        lease_id = uuid5(self.id, f"lease/{self.leases_asked + 1}")
        self._lease_requested(event_id=self.event_id, lease_id=lease_id, seats=seats, at=now.isoformat())
        return lease_id

    class LeaseRequested(Aggregate.Event):
        event_id: UUID
        lease_id: UUID
        seats: int
        at: str

    @event(LeaseRequested)
    def _lease_requested(self, event_id: UUID, lease_id: UUID, seats: int, at: str) -> None:
        self.leases_asked += 1
        self.asked[str(lease_id)] = seats
        self.asked_at = at

    def ask_again(self, now: datetime, after: timedelta) -> bool:
        """Re-send an unanswered lease request with the same id (the Event grants a lease id only once)."""
        lease_id = self.stale_lease(now, after)
        if lease_id is None:
            return False
        self._lease_request_repeated(event_id=self.event_id, lease_id=lease_id, seats=self.asked[str(lease_id)],
                                     at=now.isoformat())
        return True

    class LeaseRequestRepeated(Aggregate.Event):
        event_id: UUID
        lease_id: UUID
        seats: int
        at: str

    @event(LeaseRequestRepeated)
    def _lease_request_repeated(self, event_id: UUID, lease_id: UUID, seats: int, at: str) -> None:
        self.asked_at = at

    def granted(self, lease_id: UUID, seats: int) -> None:
        """The Event granted `seats` for a lease; an answer heard before (or never asked) changes nothing."""
        if str(lease_id) in self.asked:
            self._lease_granted(event_id=self.event_id, lease_id=lease_id, seats=seats)

    class LeaseGranted(Aggregate.Event):
        event_id: UUID
        lease_id: UUID
        seats: int

    @event(LeaseGranted)
    def _lease_granted(self, event_id: UUID, lease_id: UUID, seats: int) -> None:
        del self.asked[str(lease_id)]
        self.leased += seats
        self.refused_at = None

    def refused(self, lease_id: UUID, reason: str, now: datetime) -> None:
        """The Event granted nothing: "full" backs off for a while; any other reason closes the ledger."""
        if str(lease_id) in self.asked:
            self._lease_refused(event_id=self.event_id, lease_id=lease_id, reason=reason, at=now.isoformat())

    class LeaseRefused(Aggregate.Event):
        event_id: UUID
        lease_id: UUID
        reason: str
        at: str

    @event(LeaseRefused)
    def _lease_refused(self, event_id: UUID, lease_id: UUID, reason: str, at: str) -> None:
        del self.asked[str(lease_id)]
        if reason == "full":
            self.refused_at = at
        else:
            self.closed = True

    # --- spending the lease -------------------------------------------------------------------------------

    def take(self, booking_id: UUID, seats: int, now: datetime) -> None:
        """A booking is confirmed on `seats` leased seats (checked first with `free`)."""
        if seats < 1 or seats > self.free or str(booking_id) in self.holders:
            raise LeaseOverdrawn(f"cannot take {seats} seats for {booking_id}: {self.free} free")
        self._seats_taken(booking_id=booking_id, seats=seats, at=now.isoformat())

    class SeatsTaken(Aggregate.Event):
        booking_id: UUID
        seats: int
        at: str

    @event(SeatsTaken)
    def _seats_taken(self, booking_id: UUID, seats: int, at: str) -> None:
        self.holders[str(booking_id)] = seats
        self.in_use += seats
        self.last_taken_at = at

    def give_back(self, booking_id: UUID) -> int:
        """A booking holding leased seats ended: they are free in the lease again; seats given back (0 if none)."""
        seats = self.holders.get(str(booking_id), 0)
        if seats:
            self._seats_given_back(booking_id=booking_id, seats=seats)
        return seats

    class SeatsGivenBack(Aggregate.Event):
        booking_id: UUID
        seats: int

    @event(SeatsGivenBack)
    def _seats_given_back(self, booking_id: UUID, seats: int) -> None:
        self.in_use -= self.holders.pop(str(booking_id))

    def holds(self, booking_id: UUID) -> int:
        return self.holders.get(str(booking_id), 0)

    # --- returning to the Event ---------------------------------------------------------------------------

    def return_free(self, reason: str, seats: int | None = None) -> UUID | None:
        """Give free seats (all, or `seats`) back to the Event (ReturnLeasedSeats); the return id, or None."""
        seats = self.free if seats is None else seats
        if seats < 1:
            return None
        if seats > self.free:
            raise LeaseOverdrawn(f"cannot return {seats} seats: {self.free} free")
        return_id = uuid5(self.id, f"return/{self.returns_made + 1}")
        self._seats_returned(event_id=self.event_id, return_id=return_id, seats=seats, reason=reason)
        return return_id

    class SeatsReturned(Aggregate.Event):
        event_id: UUID
        return_id: UUID
        seats: int
        reason: str

    @event(SeatsReturned)
    def _seats_returned(self, event_id: UUID, return_id: UUID, seats: int, reason: str) -> None:
        self.returns_made += 1
        self.leased -= seats

    def close(self, reason: str) -> None:
        """The event is off: never lease again, and give back whatever is free."""
        self.return_free(reason)
        if not self.closed:
            self._closed(reason=reason)

    class Closed(Aggregate.Event):
        reason: str

    @event(Closed)
    def _closed(self, reason: str) -> None:
        self.closed = True

    # --- telling the catalogue ----------------------------------------------------------------------------

    def collect_events(self) -> Sequence[Any]:
        """Every save ends with one `UseNoted` when it changed the figures (published as LeaseUseChanged), so
        the catalogue learns the ledger's use once per save — not once per booking of a rush's batch."""
        # Ledgers stored before the note existed start from "never told" (their snapshots lack the attribute);
        # a snapshot gives the pair back as a list.
        if self._pending_events and (self.leased, self.in_use) != tuple(getattr(self, "use_noted", ())):
            self._use_noted(event_id=self.event_id, leased=self.leased, in_use=self.in_use)
        return super().collect_events()

    class UseNoted(Aggregate.Event):
        event_id: UUID
        leased: int
        in_use: int

    @event(UseNoted)
    def _use_noted(self, event_id: UUID, leased: int, in_use: int) -> None:
        self.use_noted = (leased, in_use)
