"""The saga's unit of work: spine's batch unit (`spine.unit.Unit`) plus what the saga asks of it.

Loading (once per aggregate, many with one query, "not found" remembered), per-message causes on only the
aggregates a message touched, and the tracked save are spine's; here: bookings vs. waitlists, the read
model's live bookings, and one reading of the rules per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from spine.unit import Unit

from bookings_service.application import Bookings
from bookings_service.domain import Booking, BookingRules, Waitlist, waitlist_id
from bookings_service.domain.lease import SeatLedger, seat_ledger_id


class StoreUnit(Unit):
    """`domain.saga.SagaUnit` backed by the Bookings application and the bookings read model."""

    def __init__(self, app: Bookings, live_booking_ids: Callable[[UUID], list[UUID]],
                 rules: Callable[[], BookingRules], now: datetime | None = None, *, leases: bool = True):
        super().__init__(app)
        self.leases = leases  # setting seat_leases (domain.saga.SagaUnit)
        self._live_booking_ids = live_booking_ids
        self._rules = rules
        self.now = now or datetime.now(UTC)
        self._rules_now: BookingRules | None = None

    def booking(self, booking_id: UUID) -> Booking | None:
        """The booking, or None (also for an id naming another aggregate: a waitlist's id is public)."""
        return self.get(booking_id, Booking)

    def preload_bookings(self, booking_ids: list[UUID]) -> None:
        """Load the bookings a batch will touch with one query instead of one (or two) per message."""
        self.preload(booking_ids)

    def waitlist(self, event_id: UUID, *, open_if_missing: bool = False) -> Waitlist | None:
        found = self.get(waitlist_id(event_id), Waitlist)
        if found is None and open_if_missing:
            found = self.add(Waitlist(event_id=event_id))
        return found

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        return self._live_booking_ids(event_id)

    def ledger(self, event_id: UUID) -> SeatLedger | None:
        """The event's seat lease ledger (issue 8), or None when it never leased."""
        return self.get(seat_ledger_id(event_id), SeatLedger)

    def changed(self) -> list[Any]:
        """What `save` writes with the batch's position: everything but the lease ledgers (`changed_ledgers`)."""
        return [a for a in super().changed() if not isinstance(a, SeatLedger)]

    def changed_ledgers(self) -> list[SeatLedger]:
        """Lease ledgers this unit changed: the saga saves them on its own, after the batch (consumers/saga.py)."""
        return [a for a in super().changed() if isinstance(a, SeatLedger)]

    def rules(self) -> BookingRules:
        # One reading per unit (one partition batch): the settings cannot usefully change mid-batch.
        if self._rules_now is None:
            self._rules_now = self._rules()
        return self._rules_now
