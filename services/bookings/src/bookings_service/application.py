"""The Bookings application: loads Booking and Waitlist aggregates, runs one command, saves what changed.

Commands that touch an event's Waitlist may lose an optimistic-concurrency race with another request or
the saga; they are re-run from a fresh load (new events, new timestamps), which also keeps the
waitlist's order equal to the order of the bookings' Waitlisted events. Within one api process the
commands of one event take turns (a lock per event): during a rush dozens of request threads would
otherwise keep invalidating each other's waitlist version; optimistic retries remain for the races
with other processes (the saga worker, other api replicas).
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from spine.eventstore import ServiceApplication

from bookings_service.domain import (
    WAITLISTED, Actor, Booking, BookingNotFound, BookingRules, EventTerms, Waitlist, waitlist_id,
)

T = TypeVar("T")

_RETRIES = 10
_BACKOFF_SECONDS = 0.005


class Bookings(ServiceApplication):
    """Commands and queries on bookings and waitlists."""

    # A popular event's line gets a long stream (every join, promotion and leave); snapshots keep loads fast.
    snapshotting_intervals = {Waitlist: 50}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._event_locks: defaultdict[UUID, threading.Lock] = defaultdict(threading.Lock)

    def find_booking(self, booking_id: UUID) -> Booking | None:
        try:
            return self.repository.get(booking_id)
        except AggregateNotFoundError:
            return None

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

    def waitlist_position(self, booking: Booking) -> int | None:
        """Where a waitlisted booking stands in its event's line now (1 = next)."""
        if booking.status != WAITLISTED:
            return None
        waitlist = self.find_waitlist(booking.event_id)
        return waitlist.position_of(booking.id) if waitlist is not None else None

    def request_booking(self, *, booking_id: UUID, user_id: UUID, terms: EventTerms, rules: BookingRules,
                        group_size: int, payment_method: str | None, now: datetime | None = None) -> Booking:
        """Step 1: a user asks for seats. With people already waiting, the booking joins the end of the line
        (fairness) instead of asking the Event for seats."""

        def attempt() -> Booking:
            booking = Booking.request(booking_id=booking_id, user_id=user_id, terms=terms, group_size=group_size,
                                      payment_method=payment_method, rules=rules, now=now or datetime.now(UTC))
            waitlist = self.find_waitlist(terms.event_id)
            if waitlist is not None and not waitlist.is_empty:
                booking.wait_in_line(waitlist.join(booking.id, group_size))
                self.save(booking, waitlist)
            else:
                booking.request_seats()
                self.save(booking)
            return booking

        return self._retry(attempt, event_id=terms.event_id)

    def cancel_booking(self, booking_id: UUID, actor: Actor) -> Booking:
        """The owner (or an admin) cancels: leaves the line, gives back seats and money (saga steps 5)."""

        def attempt() -> Booking:
            booking = self.get_booking(booking_id)
            booking.cancel(actor)
            waitlist = self.find_waitlist(booking.event_id)
            if waitlist is not None:
                waitlist.leave(booking.id)
                self.save(booking, waitlist)
            else:
                self.save(booking)
            return booking

        return self._retry(attempt, event_id=self.get_booking(booking_id).event_id)

    def expire_hold(self, booking_id: UUID, now: datetime) -> bool:
        """Expire one booking if its hold really lapsed (the aggregate re-checks); True when it did."""

        def attempt() -> bool:
            booking = self.find_booking(booking_id)
            if booking is None or not booking.expire(now):
                return False
            self.save(booking)
            return True

        return self._retry(attempt)

    def _retry(self, command: Callable[[], T], *, event_id: UUID | None = None) -> T:
        for attempt in range(_RETRIES):
            try:
                if event_id is None:
                    return command()
                with self._event_locks[event_id]:
                    return command()
            except IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))
        raise AssertionError("unreachable")
