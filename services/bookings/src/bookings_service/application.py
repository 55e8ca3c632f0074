"""The Bookings application: loads Booking and Waitlist aggregates, runs one command, saves what changed.

Commands that touch an event's Waitlist may lose an optimistic-concurrency race with another request or
the saga; they are re-run from a fresh load (new events, new timestamps), which also keeps the
waitlist's order equal to the order of the bookings' Waitlisted events. Within one api process booking
requests do not race each other: one writer task hands them here in batches (`request_many`); optimistic
retries remain for the races with other processes (the saga worker, other api replicas).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from spine import context
from spine.eventstore import CAUSE_KEY, ServiceApplication
from spine.retry import retrying

from bookings_service.domain import (
    WAITLISTED,
    Actor,
    Booking,
    BookingNotFound,
    BookingRules,
    CancellationTerms,
    EventTerms,
    Holding,
    UserBookings,
    Waitlist,
    check_user_limits,
    user_bookings_id,
    waitlist_id,
)
from bookings_service.domain.errors import BookingRuleViolation
from bookings_service.domain.lease import SeatLedger, seat_ledger_id
from bookings_service.domain.waitlist import check_may_join, may_take_seats
from bookings_service.domain.waitlist_policy import STRICT_FIFO
from bookings_service.domain.withdrawal import cancel_and_leave

T = TypeVar("T")

_RETRIES = 10


class Bookings(ServiceApplication):
    """Commands and queries on bookings and waitlists."""

    # A popular event's line gets a long stream (every join, promotion and leave), a busy user's ledger too;
    # snapshots keep loads fast.
    snapshotting_intervals = {Waitlist: 50, UserBookings: 50, SeatLedger: 50}

    def find_booking(self, booking_id: UUID) -> Booking | None:
        """The booking, or None; also None for an id naming another aggregate (a waitlist's id is public,
        derived from its event's id), as `find_bookings` does."""
        try:
            found: object = self.repository.get(booking_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Booking) else None

    def find_bookings(self, booking_ids: Iterable[UUID]) -> dict[UUID, Booking | None]:
        """Several bookings with one query (`get_many`), as `find_booking` would give each."""
        return {i: a if isinstance(a, Booking) else None for i, a in self.get_many(booking_ids).items()}

    def get_booking(self, booking_id: UUID) -> Booking:
        """The current state of one booking; BookingNotFound when there is none."""
        booking = self.find_booking(booking_id)
        if booking is None:
            raise BookingNotFound(f"no booking with id {booking_id}")
        return booking

    def find_waitlist(self, event_id: UUID) -> Waitlist | None:
        try:
            return self.repository.get(waitlist_id(event_id))
        except AggregateNotFoundError:
            return None

    def find_ledger(self, event_id: UUID) -> SeatLedger | None:
        """The event's seat lease ledger, or None when it never leased."""
        try:
            return self.repository.get(seat_ledger_id(event_id))
        except AggregateNotFoundError:
            return None

    def waitlist_position(self, booking: Booking) -> int | None:
        """Where a waitlisted booking stands in its event's line now (1 = next)."""
        if booking.status != WAITLISTED:
            return None
        waitlist = self.find_waitlist(booking.event_id)
        return waitlist.position_of(booking.id) if waitlist is not None else None

    def request_booking(self, *, booking_id: UUID, user_id: UUID, terms: EventTerms, rules: BookingRules,
                        group_size: int, payment_method: str | None, now: datetime | None = None) -> Booking:
        """Step 1: a user asks for seats (one request, from the caller's thread; the api goes through
        `request_many` via its single writer). Refusals are raised."""
        result = self.request_many([BookingRequest(
            booking_id=booking_id, user_id=user_id, terms=terms, rules=rules, group_size=group_size,
            payment_method=payment_method, now=now, cause=context.current().as_dict())])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def request_many(self, requests: Sequence[BookingRequest], *, kept: KeptLedgers | None = None,
                     leases: bool = False) -> list[Booking | Exception]:
        """Several booking requests at once (group commit): per event, the waitlist and the users' ledgers are
        loaded once and all the new bookings (and the line) saved in one transaction, in the given order.
        With people already waiting, a booking joins the end of the line (fairness) instead of asking the
        Event for seats. Outcome and event order are those of running them one after another; each request
        gets its booking or its own error.

        The api's single writer (`spine.writer.GroupCommitWriter`) is the only caller in an api process, so
        requests no longer race each other; optimistic retries remain for the saga and other replicas. That
        writer passes `kept`: the users' ledgers as it last saved them, so a busy user's ledger is not
        loaded again for every batch (only the api writes ledgers; a stale one fails the save's version check,
        and the retry loads it afresh).

        With `leases` (setting `seat_leases`), a free booking is confirmed right here from seats the event's
        lease ledger holds (domain/lease.py) when nobody waits in line; otherwise it asks the Event as before,
        and the ledger asks the Event for a lease sized by the batch's demand."""
        jobs = [_Job(request) for request in requests]
        by_event: dict[UUID, list[_Job]] = {}
        for job in self._without_repeats(jobs):
            by_event.setdefault(job.request.terms.event_id, []).append(job)
        for event_id, group in by_event.items():
            self._request_batch(event_id, group, kept, leases)
        return [job.error if job.error is not None else job.booking for job in jobs]  # type: ignore[misc]

    def _without_repeats(self, jobs: list[_Job]) -> list[_Job]:
        """The jobs still to run: a keyed request (its id derived from an Idempotency-Key) whose booking is
        already stored is a retry of a request that committed; it gets that booking back (one query for all)."""
        keyed = [job for job in jobs if job.request.keyed]
        if not keyed:
            return jobs
        found = self.find_bookings(job.request.booking_id for job in keyed)
        repeats = set()
        for job in keyed:
            booking = found.get(job.request.booking_id)
            if booking is not None and booking.user_id == job.request.user_id:
                job.booking = booking
                repeats.add(id(job))
        return [job for job in jobs if id(job) not in repeats]

    def _request_batch(self, event_id: UUID, jobs: list[_Job], kept: KeptLedgers | None = None,
                       leases: bool = False) -> None:
        """Run the requests of one event; each job gets its booking or its own error."""
        try:
            retrying(lambda: self._request_all(event_id, jobs, kept=kept, leases=leases), attempts=_RETRIES)
        except Exception:  # noqa: BLE001 — a batch that cannot be saved: run each alone, so errors are their own
            for job in jobs:
                try:
                    retrying(partial(self._request_all, event_id, [job], alone=True, leases=leases),
                             attempts=_RETRIES)
                except Exception as exc:  # noqa: BLE001
                    job.error, job.booking = exc, None

    def _request_all(self, event_id: UUID, jobs: list[_Job], *, alone: bool = False,
                     kept: KeptLedgers | None = None, leases: bool = False) -> None:
        """One attempt: fresh bookings for every job, the line and the users' ledgers loaded once, everything
        saved together. A refused request (a rule of Booking, the line or the per-user limits) is that job's
        error; in a batch nothing else may fail."""
        # The line also hands out the acceptance numbers: saved with the batch, its version orders the batches
        # of every api process (a race is lost and re-run), so numbers follow commit order.
        waitlist = self.find_waitlist(event_id) or Waitlist(event_id=event_id)
        first = waitlist.last_sequence + 1
        user_ids = {job.request.user_id for job in jobs}
        if kept is None:
            ledgers = self._ledgers_of(user_ids)
        else:
            ledgers = {u: kept.pop(u) for u in list(user_ids) if u in kept}  # taken out: kept only once saved
            ledgers.update(self._ledgers_of(user_ids - ledgers.keys()))
        known: dict[UUID, Booking | None] = {}
        bookings: list[Booking] = []
        free_event = not jobs[0].request.terms.is_paid
        # Under strict_fifo free bookings keep the per-booking path: a booking confirmed from the lease is final
        # and cannot yield, so it would overtake an earlier bigger group the lease could not cover and the Event
        # then refused (the saga makes such a later request yield its Event seats: `_must_yield`). The lease's
        # free seats go back to the Event when idle, or at once when someone joins the line.
        strict = jobs[0].request.rules.waitlist_policy == STRICT_FIFO
        lease = ((self.find_ledger(event_id) or SeatLedger(event_id=event_id))
                 if leases and free_event and not strict else None)
        demand = 0  # seats of this batch's free bookings that the lease could not cover
        for job in jobs:
            job.error, job.booking = None, None
            req = job.request
            # The store stamps the saving thread's cause; this batch holds other requests too: mark each
            # request's own events with its own requester and correlation id.
            marks = [(a, len(a.pending_events)) for a in (waitlist, ledgers[req.user_id], lease) if a is not None]
            try:
                # A refused request takes no number: the next accepted one gets it.
                booking = Booking.request(booking_id=req.booking_id, user_id=req.user_id, terms=req.terms,
                                          group_size=req.group_size, payment_method=req.payment_method,
                                          rules=req.rules, now=req.now or datetime.now(UTC),
                                          sequence=first + len(bookings))
                ledger = ledgers[booking.user_id]
                self._check_user_limits(ledger, booking, known, req.rules)
                if not may_take_seats(waitlist, booking.sequence):
                    check_may_join(waitlist, booking.group_size, req.rules)
            except Exception as exc:  # noqa: BLE001 — the domain's refusal belongs to this request only
                if alone or not isinstance(exc, BookingRuleViolation):
                    raise
                job.error = exc
                continue
            if not may_take_seats(waitlist, booking.sequence):  # someone accepted earlier is in line
                booking.wait_in_line(waitlist.join(booking.id, req.group_size, booking.sequence))
            elif lease is not None and not booking.is_paid and lease.free >= booking.group_size:
                booking.confirm_from_lease()  # the ordering rule holds: nobody accepted earlier waits
                lease.take(booking.id, booking.group_size, req.now or datetime.now(UTC))
            else:
                booking.request_seats()
                demand += booking.group_size
            ledger.add(booking)
            _stamp(req.cause, [(booking, 0), *marks])
            known[booking.id] = booking
            bookings.append(booking)
            job.booking = booking
        if lease is not None and demand:
            lease.ask(lease_size(demand), datetime.now(UTC))
        changed: list[Any] = [a for a in (lease, *ledgers.values()) if a is not None and a.pending_events]
        if bookings:  # a line opened for refused requests only is not saved
            waitlist.number_requests(len(bookings))
            changed.insert(0, waitlist)
        if bookings or changed:
            self.save(*bookings, *changed)
        if kept is not None:
            kept.keep(ledgers.values())

    def _ledgers_of(self, user_ids: set[UUID]) -> dict[UUID, UserBookings]:
        """Each user's ledger (a new one when they never booked); saved with the batch."""
        ledgers: dict[UUID, UserBookings] = {}
        for user_id in user_ids:
            try:
                ledgers[user_id] = self.repository.get(user_bookings_id(user_id))
            except AggregateNotFoundError:
                ledgers[user_id] = UserBookings(user_id=user_id)
        return ledgers

    def _check_user_limits(self, ledger: UserBookings, booking: Booking, known: dict[UUID, Booking | None],
                           rules: BookingRules) -> None:
        """The per-user limits for a new booking. Only when the ledger's upper bound says it might break them are
        the bookings that count loaded (one query) to see which still do; the ledger forgets those that ended."""
        event_id = booking.event_id
        if ledger.surely_within_limits(event_id, booking.group_size, booking.is_paid, rules):
            return
        relevant = ledger.relevant_to(event_id)
        known.update(self.find_bookings([b for b in relevant if b not in known]))
        ledger.refresh({b: known.get(b) for b in relevant})
        held = (known.get(b) for b in relevant)
        check_user_limits((Holding.of(h) for h in held if h is not None), event_id=event_id,
                          group_size=booking.group_size, is_paid=booking.is_paid, rules=rules)

    def cancel_booking(self, booking_id: UUID, actor: Actor, *, rules: BookingRules | None = None,
                       starts_at: Callable[[UUID], datetime | None] | None = None,
                       now: datetime | None = None) -> Booking:
        """The owner (or an admin) cancels: leaves the line, gives back seats and money (saga step 5).
        `starts_at(event_id)` (the catalogue replica) and `rules` decide the owner's deadline and fee."""

        def attempt() -> Booking:
            booking = self.get_booking(booking_id)
            terms = CancellationTerms(
                now=now or datetime.now(UTC), starts_at=starts_at(booking.event_id) if starts_at else None,
                deadline_hours=(rules or BookingRules()).cancellation_deadline_hours,
                fee_percent=(rules or BookingRules()).refund_fee_percent)
            leased = booking.holds_leased_seats
            waitlist = self.find_waitlist(booking.event_id)
            cancel_and_leave(booking, waitlist, actor=actor, terms=terms)
            changed: list[Any] = [booking]
            if waitlist is not None and waitlist.pending_events:
                changed.append(waitlist)
            if leased:
                changed.append(self._give_back_to_lease(booking, waitlist))
            self.save(*changed)
            return booking

        self.get_booking(booking_id)  # BookingNotFound before anything else
        with self.continuing_story(booking_id):  # the booking's correlation id; the canceller as actor
            return self._retry(attempt)

    def _give_back_to_lease(self, booking: Booking, waitlist: Waitlist | None) -> SeatLedger:
        """A leased-seat booking ended: its seats are free in the lease again — or, when people wait in line,
        back to the Event, whose answer (LeasedSeatsReturned) promotes them."""
        ledger = self.find_ledger(booking.event_id)
        if ledger is None:
            raise RuntimeError(f"booking {booking.id} holds leased seats but event {booking.event_id} has no ledger")
        ledger.give_back(booking.id)
        if waitlist is not None and waitlist.has_waiting:
            ledger.return_free("waitlist")
        return ledger

    def sweep_ledgers(self, ledger_ids: Iterable[UUID], now: datetime, idle: timedelta,
                      unanswered: timedelta) -> int:
        """The worker's timer: idle leased seats go back to the Event; a lease request nobody answered is asked
        again with the same id. Returns how many ledgers changed."""
        changed = 0
        for ledger_id in ledger_ids:
            def attempt(ledger_id: UUID = ledger_id) -> bool:
                try:
                    ledger: SeatLedger = self.repository.get(ledger_id)
                except AggregateNotFoundError:
                    return False
                ledger.ask_again(now, unanswered)
                if ledger.is_idle(now, idle):
                    ledger.return_free("idle")
                if not ledger.pending_events:
                    return False
                self.save(ledger)
                return True
            changed += self._retry(attempt)
        return changed

    def expire_hold(self, booking_id: UUID, now: datetime) -> bool:
        """Expire one booking if its hold really lapsed (the aggregate re-checks); True when it did."""

        def attempt() -> bool:
            booking = self.find_booking(booking_id)
            if booking is None or not booking.expire(now):
                return False
            self.save(booking)
            return True

        return self._retry(attempt)

    def redrive(self, booking_id: UUID, now: datetime, after: timedelta) -> bool:
        """Re-send the seat request of a booking that heard nothing for `after` (same attempt); True if sent."""

        def attempt() -> bool:
            booking = self.find_booking(booking_id)
            if booking is None or not booking.redrive(now, after):
                return False
            self.save(booking)
            return True

        return self._retry(attempt)

    def _retry(self, command: Callable[[], T]) -> T:
        """Re-run `command` after a lost optimistic-concurrency race (jittered backoff)."""
        return retrying(command, attempts=_RETRIES)


def lease_size(demand: int) -> int:
    """How many seats to ask the Event for: twice what a batch could not cover, at least a small block."""
    return max(LEASE_BLOCK, 2 * demand)


LEASE_BLOCK = 16


def _stamp(cause: dict[str, str], since: list[tuple[Any, int]]) -> None:
    """Give the events each aggregate recorded after its mark this cause (the mapper keeps it when saving)."""
    if not cause:
        return
    for aggregate, mark in since:
        for domain_event in aggregate.pending_events[mark:]:
            vars(domain_event).setdefault(CAUSE_KEY, cause)


class KeptLedgers(dict):
    """Users' ledgers as the single writer last saved them (user id → UserBookings), bounded."""

    def __init__(self, limit: int = 10_000):
        super().__init__()
        self.limit = limit

    def keep(self, ledgers: Iterable[UserBookings]) -> None:
        if len(self) > self.limit:
            self.clear()
        for ledger in ledgers:
            if not ledger.pending_events:  # saved (a new, empty ledger that was never saved is not kept)
                self[ledger.user_id] = ledger


@dataclass(frozen=True)
class BookingRequest:
    """One user's request for seats, as the writer queues it; `cause` is the requester's (actor, correlation)."""

    booking_id: UUID
    user_id: UUID
    terms: EventTerms
    rules: BookingRules
    group_size: int
    payment_method: str | None
    now: datetime | None = None
    cause: dict[str, str] = field(default_factory=dict)
    keyed: bool = False  # `booking_id` came from an Idempotency-Key: if it is stored, this is a retry


class _Job:
    """One request of a batch, then its booking or its error."""

    __slots__ = ("request", "booking", "error")

    def __init__(self, request: BookingRequest):
        self.request = request
        self.booking: Booking | None = None
        self.error: Exception | None = None
