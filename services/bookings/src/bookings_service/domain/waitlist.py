"""The Waitlist aggregate: one line per event of bookings that found it full.

Entries keep their place (a ticket number) from joining until they leave. A promoted entry stays in the
line, marked `promoting`, until the Event answers: SeatsReserved removes it, SeatsRejected(full) puts it
back to `waiting` at its old place. Positions count only waiting entries (1 = next in line).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bookings_service.domain import errors
from bookings_service.domain.terms import BookingRules
from bookings_service.domain.waitlist_policy import Candidate, choose

WAITING, PROMOTING = "waiting", "promoting"


def check_may_join(waitlist: Waitlist, group_size: int, rules: BookingRules) -> None:
    """A new booking may join a line only if its group could ever fit and the line has room."""
    if not waitlist.can_ever_fit(group_size):
        raise errors.GroupSizeOutOfRange(
            f"group_size must be at most {waitlist.capacity}, the event's capacity now; got {group_size}")
    if waitlist.waiting_count >= rules.max_waitlist_length:
        raise errors.WaitlistFull(f"the waitlist of this event is full ({rules.max_waitlist_length} bookings)")


def waitlist_id(event_id: UUID) -> UUID:
    """Deterministic, so every process (api and saga) finds the same line for an event."""
    return uuid5(NAMESPACE_URL, f"/waitlists/{event_id}")


class Waitlist(Aggregate):
    """The queue of one event; entries are plain dicts so snapshots need no custom transcoding."""

    # The event's capacity as last announced (EventUpdated); class defaults serve lines and snapshots from
    # before it was recorded. None: never changed since creation, so every accepted group fits.
    capacity: int | None = None
    capacity_version = 0

    @staticmethod
    def create_id(event_id: UUID) -> UUID:
        return waitlist_id(event_id)

    @event("Opened")
    def __init__(self, event_id: UUID) -> None:
        self.event_id = event_id
        self.entries: list[dict[str, Any]] = []
        self.next_ticket = 1
        # Version of the Event whose seat count last drove a promotion: older news must not promote again.
        self.seats_version = 0
        self.closed = False

    # --- queries -------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.entries

    @property
    def has_waiting(self) -> bool:
        return any(e["state"] == WAITING for e in self.entries)

    @property
    def has_promoting(self) -> bool:
        return any(e["state"] == PROMOTING for e in self.entries)

    @property
    def waiting_count(self) -> int:
        return sum(1 for e in self.entries if e["state"] == WAITING)

    def can_ever_fit(self, group_size: int) -> bool:
        """False for a group larger than the event's whole (reduced) capacity: it would wait forever."""
        return self.capacity is None or group_size <= self.capacity

    def booking_ids(self) -> list[UUID]:
        """Everyone in line, waiting or being promoted, in queue order."""
        return [UUID(e["booking_id"]) for e in self.entries]

    def holds(self, booking_id: UUID) -> bool:
        return self._entry(booking_id) is not None

    def position_of(self, booking_id: UUID) -> int | None:
        """1-based place among waiting entries; None when not waiting."""
        key = str(booking_id)
        position = 0
        for entry in self.entries:
            if entry["state"] == WAITING:
                position += 1
                if entry["booking_id"] == key:
                    return position
        return None

    def _entry(self, booking_id: UUID) -> dict[str, Any] | None:
        key = str(booking_id)  # once, not per entry: a rush's line has thousands
        return next((e for e in self.entries if e["booking_id"] == key), None)

    # --- commands ------------------------------------------------------------------------------------

    def join(self, booking_id: UUID, group_size: int) -> int:
        """Put a booking at the end of the line (or back to waiting at its old place); returns its position."""
        entry = self._entry(booking_id)
        if entry is None:
            self._joined(booking_id=booking_id, group_size=group_size, ticket=self.next_ticket)
            return self.waiting_count  # a newcomer is the last of those waiting
        if entry["state"] == PROMOTING:
            self._returned(booking_id=booking_id)
        position = self.position_of(booking_id)
        assert position is not None
        return position

    @event("Joined")
    def _joined(self, booking_id: UUID, group_size: int, ticket: int) -> None:
        self.entries.append({"booking_id": str(booking_id), "group_size": group_size, "skips": 0,
                             "state": WAITING, "ticket": ticket})
        self.next_ticket = ticket + 1

    @event("Returned")
    def _returned(self, booking_id: UUID) -> None:
        self._entry(booking_id)["state"] = WAITING  # type: ignore[index]

    def leave(self, booking_id: UUID) -> None:
        """Take a booking out of the line (it got seats, was cancelled, or left); no-op when not in it."""
        if self.holds(booking_id):
            self._left(booking_id=booking_id)

    @event("Left")
    def _left(self, booking_id: UUID) -> None:
        key = str(booking_id)
        self.entries = [e for e in self.entries if e["booking_id"] != key]

    def promote(self, seats_available: int, policy: str, skip_limit: int,
                seats_version: int | None = None) -> list[UUID]:
        """Choose waiting entries for the free seats by `policy`; they become `promoting`. Returns their ids.

        Seats asked for by entries already being promoted are not free, whatever the count says: their
        answers have not come back yet.
        """
        if seats_version is not None and seats_version <= self.seats_version:
            return []  # a repeated or older seat count: it already had its say
        in_flight = sum(e["group_size"] for e in self.entries if e["state"] == PROMOTING)
        free = seats_available - in_flight
        waiting = [Candidate(e["booking_id"], e["group_size"], e["skips"]) for e in self.entries
                   if e["state"] == WAITING]
        if free <= 0 or not waiting:
            return []
        choice = choose(waiting, free, policy, skip_limit)
        if not choice.promote:
            return []
        self._promoted(booking_ids=list(choice.promote), skipped_ids=list(choice.skipped),
                       seats_version=seats_version if seats_version is not None else self.seats_version)
        return [UUID(key) for key in choice.promote]

    @event("Promoted")
    def _promoted(self, booking_ids: list[str], skipped_ids: list[str], seats_version: int) -> None:
        for entry in self.entries:
            if entry["booking_id"] in booking_ids:
                entry["state"] = PROMOTING
            elif entry["booking_id"] in skipped_ids:
                entry["skips"] += 1
        self.seats_version = seats_version

    def capacity_changed(self, capacity: int, version: int | None = None) -> list[UUID]:
        """The event now has `capacity` seats in all: waiting groups larger than that can never fit and leave
        the line (returned, so their bookings are rejected); the line moves on. Older news changes nothing."""
        if version is not None and version <= self.capacity_version:
            return []
        too_big = [e["booking_id"] for e in self.entries if e["state"] == WAITING and e["group_size"] > capacity]
        if capacity != self.capacity or too_big:
            self._capacity_changed(capacity=capacity, removed=too_big,
                                   version=version if version is not None else self.capacity_version)
        return [UUID(key) for key in too_big]

    @event("CapacityChanged")
    def _capacity_changed(self, capacity: int, removed: list[str], version: int) -> None:
        self.capacity = capacity
        self.capacity_version = version
        self.entries = [e for e in self.entries if e["booking_id"] not in removed]

    def close(self) -> None:
        """The event was cancelled: nobody waits for it any more."""
        if not self.closed:
            self._closed()

    @event("Closed")
    def _closed(self) -> None:
        self.entries = []
        self.closed = True
