"""The Waitlist aggregate: one line per event of bookings that found it full, and the event's intake counter.

The line is keyed by booking id and kept in acceptance order: each entry's place is its booking's acceptance
sequence number (bookings accepted before numbering existed keep their join order, ahead of numbered ones).
A promoted entry stays in the line, marked `promoting`, until the Event answers: SeatsReserved removes it,
SeatsRejected(full) puts it back to `waiting` at its old place. Positions count only waiting entries
(1 = next in line).

Running counters (waiting entries, seats waiting, seats in flight) and a sorted index of waiting places make
join/leave/position O(log n) searches, and `promote` returns at once when no seat is free. Everything is
plain JSON (snapshots need no transcoding), and entries are replaced, never changed in place, so a copy of
the aggregate (the repository's cache copies on every load) is a few flat container copies.

Each batch of booking requests takes the next acceptance numbers from this aggregate (`number_requests`),
saved in the batch's transaction: optimistic concurrency orders batches of every api process, so numbers
follow commit order (= the order the Event hears the requests).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bookings_service.domain import errors
from bookings_service.domain.terms import BookingRules
from bookings_service.domain.waitlist_policy import Candidate, choose

WAITING, PROMOTING = "waiting", "promoting"
# Entries joined without an acceptance number sort before every numbered one, by ticket (join order).
_UNNUMBERED = -(10**15)
GROUP, SKIPS, STATE, TICKET, PLACE = range(5)  # the fields of an entry (a tuple; a list after a snapshot)


def check_may_join(waitlist: Waitlist, group_size: int, rules: BookingRules) -> None:
    """A new booking may join a line only if its group could ever fit and the line has room."""
    if not waitlist.can_ever_fit(group_size):
        raise errors.GroupSizeOutOfRange(
            f"group_size must be at most {waitlist.capacity}, the event's capacity now; got {group_size}")
    if waitlist.waiting_count >= rules.max_waitlist_length:
        raise errors.WaitlistFull(f"the waitlist of this event is full ({rules.max_waitlist_length} bookings)")


def may_take_seats(waitlist: Waitlist | None, sequence: int | None = None) -> bool:
    """The ordering rule: may the booking accepted as `sequence` hold seats now, rather than wait in line?

    Only if nobody in the line (waiting, or promoted and not yet answered) was accepted before it. A newcomer
    (`sequence` None, or later than everyone in line) therefore joins the line whenever anyone is in it, under
    every policy. Under `strict_fifo` the saga also applies it to seats the Event granted to a request sent
    before the line formed: a later request never keeps seats while an earlier one waits.
    """
    return waitlist is None or not waitlist.has_earlier_than(sequence)


def waitlist_id(event_id: UUID) -> UUID:
    """Deterministic, so every process (api and saga) finds the same line for an event."""
    return uuid5(NAMESPACE_URL, f"/waitlists/{event_id}")


class Waitlist(Aggregate):
    """The queue of one event (booking id → entry) with running counters and a sorted index of waiting places."""

    class_version = 2  # v1 snapshots hold `entries`, a list of dicts in line order

    # The event's capacity as last announced (EventUpdated); class defaults serve lines and snapshots from
    # before it was recorded. None: never changed since creation, so every accepted group fits.
    capacity: int | None = None
    capacity_version = 0
    last_sequence = 0  # acceptance numbers handed out so far

    @staticmethod
    def create_id(event_id: UUID) -> UUID:
        return waitlist_id(event_id)

    @event("Opened")
    def __init__(self, event_id: UUID) -> None:
        self.event_id = event_id
        self._reset()
        self.next_ticket = 1
        # Version of the Event whose seat count last drove a promotion: older news must not promote again.
        self.seats_version = 0
        self.closed = False

    def _reset(self) -> None:
        self.line: dict[str, Any] = {}  # booking id → (group, skips, state, ticket, place)
        self.waiting_places: list[int] = []  # sorted places of waiting entries …
        self.waiting_ids: list[str] = []  # … and their booking ids, index for index
        self.line_places: list[int] = []  # sorted places of every entry, waiting or promoting
        self.waiting_count = 0
        self.seats_waiting = 0
        self.seats_promoting = 0

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A v1 snapshot's list of entry dicts becomes the keyed line (same order, places from tickets)."""
        entries = state.pop("entries")
        probe = object.__new__(Waitlist)
        probe._reset()
        for e in entries:
            probe._put(e["booking_id"], (e["group_size"], e["skips"], e["state"], e["ticket"],
                                         _UNNUMBERED + e["ticket"]))
        state.update({k: v for k, v in vars(probe).items()})

    def __deepcopy__(self, memo: dict[int, Any]) -> Waitlist:
        """Entries are immutable tuples: copying the containers one level deep is a full copy."""
        copy = object.__new__(type(self))
        copy.__dict__ = {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in self.__dict__.items()}
        return copy

    # --- queries -------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.line

    @property
    def has_waiting(self) -> bool:
        return self.waiting_count > 0

    @property
    def has_promoting(self) -> bool:
        return len(self.line) > self.waiting_count

    def can_ever_fit(self, group_size: int) -> bool:
        """False for a group larger than the event's whole (reduced) capacity: it would wait forever."""
        return self.capacity is None or group_size <= self.capacity

    def booking_ids(self) -> list[UUID]:
        """Everyone in line, waiting or being promoted, in queue order."""
        return [UUID(key) for key in sorted(self.line, key=lambda k: self.line[k][PLACE])]

    def holds(self, booking_id: UUID) -> bool:
        return str(booking_id) in self.line

    def position_of(self, booking_id: UUID) -> int | None:
        """1-based place among waiting entries; None when not waiting."""
        entry = self.line.get(str(booking_id))
        if entry is None or entry[STATE] != WAITING:
            return None
        return bisect_left(self.waiting_places, entry[PLACE]) + 1

    def has_earlier_than(self, sequence: int | None) -> bool:
        """Whether anyone in line (waiting or promoting) was accepted before `sequence` (None: a newcomer)."""
        if not self.line_places:
            return False
        return sequence is None or self.line_places[0] < sequence

    # --- acceptance numbers ---------------------------------------------------------------------------

    def number_requests(self, count: int) -> int:
        """Hand out the next `count` acceptance numbers; returns the first."""
        first = self.last_sequence + 1
        self._requests_numbered(last=self.last_sequence + count)
        return first

    @event("RequestsNumbered")
    def _requests_numbered(self, last: int) -> None:
        self.last_sequence = last

    # --- line commands --------------------------------------------------------------------------------

    def join(self, booking_id: UUID, group_size: int, sequence: int | None = None) -> int:
        """Put a booking in line at its acceptance place (or back to waiting at its old place); returns
        its position. Without a number it goes to the end of the unnumbered part (the old join order)."""
        entry = self.line.get(str(booking_id))
        if entry is None:
            self._joined(booking_id=booking_id, group_size=group_size, ticket=self.next_ticket, sequence=sequence)
        elif entry[STATE] == PROMOTING:
            self._returned(booking_id=booking_id)
        position = self.position_of(booking_id)
        assert position is not None
        return position

    @event("Joined")
    def _joined(self, booking_id: UUID, group_size: int, ticket: int, sequence: int | None = None) -> None:
        place = sequence if sequence is not None else _UNNUMBERED + ticket
        self._put(str(booking_id), (group_size, 0, WAITING, ticket, place))
        self.next_ticket = ticket + 1

    @event("Returned")
    def _returned(self, booking_id: UUID) -> None:
        key = str(booking_id)
        entry = self._take(key)
        self._put(key, (entry[GROUP], entry[SKIPS], WAITING, entry[TICKET], entry[PLACE]))

    def leave(self, booking_id: UUID) -> None:
        """Take a booking out of the line (it got seats, was cancelled, or left); no-op when not in it."""
        if self.holds(booking_id):
            self._left(booking_id=booking_id)

    @event("Left")
    def _left(self, booking_id: UUID) -> None:
        self._take(str(booking_id))

    def promote(self, seats_available: int, policy: str, skip_limit: int,
                seats_version: int | None = None) -> list[UUID]:
        """Choose waiting entries for the free seats by `policy`; they become `promoting`. Returns their ids.

        Seats asked for by entries already being promoted are not free, whatever the count says: their
        answers have not come back yet.
        """
        if seats_version is not None and seats_version <= self.seats_version:
            return []  # a repeated or older seat count: it already had its say
        free = seats_available - self.seats_promoting
        if free <= 0 or not self.waiting_count:
            return []
        choice = choose(self._candidates(), free, policy, skip_limit)
        if not choice.promote:
            return []
        self._promoted(booking_ids=[str(k) for k in choice.promote], skipped_ids=[str(k) for k in choice.skipped],
                       seats_version=seats_version if seats_version is not None else self.seats_version)
        return [UUID(key) for key in choice.promote]  # type: ignore[arg-type]

    def _candidates(self) -> Iterator[Candidate]:
        """Waiting entries in line order, made only as far as the policy reads."""
        for key in self.waiting_ids:  # not changed while the policy reads: the choice is applied afterwards
            entry = self.line[key]
            yield Candidate(key, entry[GROUP], entry[SKIPS])

    @event("Promoted")
    def _promoted(self, booking_ids: list[str], skipped_ids: list[str], seats_version: int) -> None:
        for key in booking_ids:
            if key not in self.line:
                continue
            entry = self._take(key)
            self._put(key, (entry[GROUP], entry[SKIPS], PROMOTING, entry[TICKET], entry[PLACE]))
        for key in skipped_ids:
            if key not in self.line:
                continue
            entry = self.line[key]
            self.line[key] = (entry[GROUP], entry[SKIPS] + 1, entry[STATE], entry[TICKET], entry[PLACE])
        self.seats_version = seats_version

    def capacity_changed(self, capacity: int, version: int | None = None) -> list[UUID]:
        """The event now has `capacity` seats in all: waiting groups larger than that can never fit and leave
        the line (returned, so their bookings are rejected); the line moves on. Older news changes nothing."""
        if version is not None and version <= self.capacity_version:
            return []
        too_big = [key for key in self.waiting_ids if self.line[key][GROUP] > capacity]
        if capacity != self.capacity or too_big:
            self._capacity_changed(capacity=capacity, removed=too_big,
                                   version=version if version is not None else self.capacity_version)
        return [UUID(key) for key in too_big]

    @event("CapacityChanged")
    def _capacity_changed(self, capacity: int, removed: list[str], version: int) -> None:
        self.capacity = capacity
        self.capacity_version = version
        for key in removed:
            if key in self.line:
                self._take(key)

    def close(self) -> None:
        """The event was cancelled: nobody waits for it any more."""
        if not self.closed:
            self._closed()

    @event("Closed")
    def _closed(self) -> None:
        self._reset()
        self.closed = True

    # --- the index and counters (called only while applying events) ------------------------------------

    def _put(self, key: str, entry: Any) -> None:  # (group, skips, state, ticket, place)
        self.line[key] = entry
        insort(self.line_places, entry[PLACE])
        if entry[STATE] == WAITING:
            i = bisect_left(self.waiting_places, entry[PLACE])
            self.waiting_places.insert(i, entry[PLACE])
            self.waiting_ids.insert(i, key)
            self.waiting_count += 1
            self.seats_waiting += entry[GROUP]
        else:
            self.seats_promoting += entry[GROUP]

    def _take(self, key: str) -> Any:
        entry = self.line.pop(key)
        del self.line_places[bisect_left(self.line_places, entry[PLACE])]
        if entry[STATE] == WAITING:
            i = bisect_left(self.waiting_places, entry[PLACE])
            del self.waiting_places[i]
            del self.waiting_ids[i]
            self.waiting_count -= 1
            self.seats_waiting -= entry[GROUP]
        else:
            self.seats_promoting -= entry[GROUP]
        return entry
