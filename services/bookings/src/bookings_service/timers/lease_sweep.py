"""The worker's lease timer (issue 8): leased seats nobody uses go back to the Event, and a lease request
that got no answer (lost in a crash, an events outage) is asked again with the same lease id.

The ledgers are found in the service's own event store: one scan of the `Opened` events from where the
last tick stopped (the first tick after a start reads them all once), remembered in memory.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from bookings_service.application import Bookings
from bookings_service.domain.lease import SeatLedger

log = logging.getLogger("bookings.leases")

_OPENED = get_topic(SeatLedger.Opened)


class LeaseSweep:
    """Callable from `Worker.add_timer`; `tick(now)` is what tests call with a clock of their own."""

    def __init__(self, app: Bookings, *, idle_after: timedelta = timedelta(seconds=30),
                 unanswered_after: timedelta = timedelta(seconds=30)):
        self.app = app
        self.idle_after, self.unanswered_after = idle_after, unanswered_after
        self.ledgers: set[UUID] = set()
        self.scanned = 0  # notification id read up to

    def __call__(self) -> None:
        self.tick()

    def tick(self, now: datetime | None = None) -> int:
        """Find new ledgers, then sweep them all; returns how many changed."""
        self._find_new()
        try:
            changed = self.app.sweep_ledgers(sorted(self.ledgers), now or datetime.now(UTC), self.idle_after,
                                             self.unanswered_after)
        except IntegrityError:
            log.info("lost a race with the api writer; the next tick looks again")
            return 0
        if changed:
            log.info("swept %d seat ledgers", changed)
        return changed

    def _find_new(self) -> None:
        while True:
            found = self.app.recorder.select_notifications(self.scanned + 1, 500, topics=[_OPENED])
            if not found:
                return
            self.ledgers.update(n.originator_id for n in found)  # type: ignore[misc]
            self.scanned = found[-1].id
