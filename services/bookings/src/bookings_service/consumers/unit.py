"""The saga's unit of work over the event store: loads each aggregate once, hands back all it loaded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from spine.eventstore import CAUSE_KEY

from bookings_service.application import Bookings
from bookings_service.domain import Booking, BookingRules, Waitlist, waitlist_id
from bookings_service.domain.lease import SeatLedger, seat_ledger_id


class StoreUnit:
    """`domain.saga.SagaUnit` backed by the Bookings application and the bookings read model."""

    def __init__(self, app: Bookings, live_booking_ids: Callable[[UUID], list[UUID]],
                 rules: Callable[[], BookingRules], now: datetime | None = None):
        self.app = app
        self._live_booking_ids = live_booking_ids
        self._rules = rules
        self.now = now or datetime.now(UTC)
        self._loaded: dict[UUID, Any] = {}
        self._stamped: dict[UUID, int] = {}
        self._rules_now: BookingRules | None = None

    def booking(self, booking_id: UUID) -> Booking | None:
        if booking_id not in self._loaded:
            self._loaded[booking_id] = self.app.find_booking(booking_id)
        return self._loaded[booking_id]

    def preload_bookings(self, booking_ids: list[UUID]) -> None:
        """Load the bookings a batch will touch with one query instead of one (or two) per message."""
        missing = [b for b in booking_ids if b not in self._loaded]
        if missing:
            self._loaded.update(self.app.find_bookings(missing))

    def waitlist(self, event_id: UUID, *, open_if_missing: bool = False) -> Waitlist | None:
        key = waitlist_id(event_id)
        # "No waitlist yet" is remembered too: a batch of SeatsReserved for one event asks twice per
        # message, and re-querying the store for a missing line was most of the saga's database work.
        if key not in self._loaded:
            self._loaded[key] = self.app.find_waitlist(event_id)
        if self._loaded[key] is None and open_if_missing:
            self._loaded[key] = Waitlist(event_id=event_id)
        return self._loaded[key]

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        return self._live_booking_ids(event_id)

    def ledger(self, event_id: UUID) -> SeatLedger | None:
        key = seat_ledger_id(event_id)
        if key not in self._loaded:
            self._loaded[key] = self.app.find_ledger(event_id)
        return self._loaded[key]

    def rules(self) -> BookingRules:
        # One reading per unit (one partition batch): the settings cannot usefully change mid-batch.
        if self._rules_now is None:
            self._rules_now = self._rules()
        return self._rules_now

    def stamp_cause(self, cause: dict[str, str]) -> None:
        """Give events recorded since the last stamp this cause (the mapper keeps it at save time)."""
        for key, aggregate in self._loaded.items():
            if aggregate is None:
                continue
            pending = aggregate.pending_events
            for domain_event in pending[self._stamped.get(key, 0):]:
                vars(domain_event).setdefault(CAUSE_KEY, cause)
            self._stamped[key] = len(pending)

    def changed(self) -> list[Aggregate]:
        """Every loaded aggregate with new events to save."""
        return [a for a in self._loaded.values() if a is not None and a.pending_events]
