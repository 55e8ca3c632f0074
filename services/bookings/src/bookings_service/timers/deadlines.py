"""The worker's timer: durable deadlines and safety nets, found through the read models, never sleeps.

* Holds that lapsed without payment → Expired + ReleaseSeats (the aggregate re-checks the deadline).
* Live bookings of events the catalogue shows as cancelled, missed by the cascade → cancelled; a leased-seat
  booking gives its seats back to the event's lease ledger, which is closed (its free seats go back to the
  Event), as the cascade itself does.
* Events with free seats and people waiting but nothing in flight (e.g. the head of the line left) →
  promote, using the catalogue replica's seat count (its version guards against older news).
* Bookings stuck in `pending` (requested or promoted, no answer from the Event for `stuck_after`) →
  re-send ReserveSeats with the same attempt: the Event answers an attempt once and ignores repeats, so
  a command that was lost on the way gets its answer and nothing is reserved twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import IntegrityError

from bookings_service.application import Bookings
from bookings_service.consumers.unit import StoreUnit
from bookings_service.domain import BookingRules
from bookings_service.domain.saga import promote
from bookings_service.domain.withdrawal import cancel_and_leave
from bookings_service.projections.bookings_query import BookingsQuery

log = logging.getLogger("bookings.deadlines")


class Deadlines:
    """Callable from `Worker.add_timer`; `tick(now)` is what tests call with a clock of their own."""

    def __init__(self, app: Bookings, query: BookingsQuery, rules: Callable[[], BookingRules], *,
                 stuck_after: timedelta = timedelta(minutes=2)):
        self.app = app
        self.query = query
        self.rules = rules
        self.stuck_after = stuck_after

    def __call__(self) -> None:
        self.tick()

    def tick(self, now: datetime | None = None) -> dict[str, int]:
        """One pass of every sweep; returns how many bookings each changed."""
        now = now or datetime.now(UTC)
        return {"expired": self.expire_holds(now), "cancelled": self.cancel_for_cancelled_events(),
                "promoted": self.promote_stuck_lines(), "redriven": self.redrive_stuck(now)}

    def expire_holds(self, now: datetime) -> int:
        return sum(self.app.expire_hold(booking_id, now) for booking_id in self.query.overdue_holds(now))

    def redrive_stuck(self, now: datetime) -> int:
        """Re-send the seat request of every booking pending longer than `stuck_after` (the aggregate re-checks)."""
        redriven = 0
        for booking_id in self.query.pending_since(now - self.stuck_after):
            try:
                redriven += self.app.redrive(booking_id, now, self.stuck_after)
            except IntegrityError:
                log.info("lost a race with the saga on %s; the next tick looks again", booking_id)
        if redriven:
            log.warning("re-sent the seat request of %d stuck bookings", redriven)
        return redriven

    def cancel_for_cancelled_events(self) -> int:
        done = 0
        for booking_id in self.query.live_in_cancelled_events():
            booking = self.app.find_booking(booking_id)
            if booking is None or not booking.is_live:
                continue
            waitlist = self.app.find_waitlist(booking.event_id)
            ledger = self.app.find_ledger(booking.event_id) if booking.holds_leased_seats else None
            cancel_and_leave(booking, waitlist)
            if ledger is not None:
                ledger.give_back(booking.id)
                ledger.close("event_cancelled")
            done += self._save(booking, waitlist if waitlist is not None and waitlist.pending_events else None,
                               ledger if ledger is not None and ledger.pending_events else None)
        return done

    def promote_stuck_lines(self) -> int:
        done = 0
        for event_id, seats_available, version in self.query.events_with_waiting():
            unit = StoreUnit(self.app, self.query.live_booking_ids, self.rules)
            waitlist = unit.waitlist(event_id)
            # Entries in flight will be answered, and the answer promotes: only idle lines need a nudge.
            if waitlist is None or not waitlist.has_waiting or waitlist.has_promoting:
                continue
            promoted = promote(unit, waitlist, seats_available, version)
            if promoted:
                done += self._save(*unit.changed()) and len(promoted)
        return done

    def _save(self, *aggregates) -> int:
        try:
            self.app.save(*[a for a in aggregates if a is not None])
            return 1
        except IntegrityError:
            log.info("lost a race with the saga; the next tick looks again")
            return 0
