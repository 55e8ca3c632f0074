"""The saga's Kafka handler: events.v1 (seats, event cancelled) and payments.v1 (payment outcomes).

Maps each message to what the saga hears (`saga_input.to_domain`), lets the domain policy
(`domain.saga.BookingSaga`) react, and saves every changed aggregate together with the message's position:
a redelivered message is a no-op, and a crash between messages resumes from the stored state.
Types it does not know (or does not use) only advance the position.

`handle_batch` takes a whole partition batch: each aggregate is loaded once and everything is saved in
one transaction with the batch's last position (a rush on one event is one partition, so this is what
keeps up with it). Each new event keeps the cause of the message that led to it. The seat lease ledgers
(issue 8) are the exception: saved on their own right after the batch (`_save_ledger`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from contracts import Envelope, topics

from bookings_service.application import Bookings
from bookings_service.consumers.saga_input import to_domain
from bookings_service.consumers.unit import StoreUnit
from bookings_service.domain import BookingRules, waitlist_id
from bookings_service.domain.lease import SeatLedger
from bookings_service.domain.saga import BookingSaga
from bookings_service.domain.saga_inputs import EventCancelled, LeaseRefused, SagaInput, SeatsLeased
from bookings_service.domain.waitlist import may_take_seats

log = logging.getLogger("bookings.saga")


class SagaHandler:
    """`spine.handlers.MessageHandler` running the booking saga."""

    name = "booking_saga"

    def __init__(self, app: Bookings, *, live_booking_ids: Callable[[UUID], list[UUID]],
                 rules: Callable[[], BookingRules], events_topic: str = topics.EVENTS,
                 payments_topic: str = topics.PAYMENTS, clock: Callable[[], datetime] | None = None,
                 leases: bool = True):
        self.app = app
        self.live_booking_ids = live_booking_ids
        self.rules = rules
        self.topics = (events_topic, payments_topic)
        self.clock = clock
        self.leases = leases  # setting seat_leases: off, a waitlisting never looks up the event's ledger

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        """Apply one message; nothing to save means the worker records the position alone."""
        self.handle_batch([envelope], tracking)

    def handle_batch(self, envelopes: list[Envelope], tracking: Tracking) -> None:
        """Apply messages of one partition in order; save all changes once, with the last position."""
        unit = StoreUnit(self.app, self.live_booking_ids, self.rules, self.clock() if self.clock else None,
                         leases=self.leases)
        saga = BookingSaga(unit)
        parsed = [(envelope, to_domain(envelope)) for envelope in envelopes]
        wanted = [b for _, m in parsed if isinstance(b := getattr(m, "booking_id", None), UUID)]
        wanted += [waitlist_id(e) for _, m in parsed if isinstance(e := getattr(m, "event_id", None), UUID)]
        unit.preload(wanted)
        for envelope, message in parsed:
            if message is None:
                continue
            with unit.message(envelope):
                saga.on(message)
        unit.save(tracking)
        for ledger in unit.changed_ledgers():
            self._save_ledger(ledger, [m for _, m in parsed if getattr(m, "event_id", None) == ledger.event_id])

    def _save_ledger(self, ledger: SeatLedger, messages: list[SagaInput | None]) -> None:
        """The api's writer saves the lease ledger in every batch of a rush: saved with the batch, a conflict on
        it would stall the saga's partition behind it. It is saved on its own, after the batch, re-applying the
        lease answers to a fresh load when the writer got there first. If that still fails (or the process dies
        in between), nothing is lost: an unanswered lease is asked again with the same id, and free seats go
        back when idle (`LeaseSweep`). Seats of bookings the batch ended (e.g. the event's cancellation) are given
        back again on the fresh load too: the bookings are saved cancelled already, and nothing else would."""
        given_back = [e.booking_id for e in ledger.pending_events if isinstance(e, SeatLedger.SeatsGivenBack)]
        for _ in range(5):
            try:
                self.app.save(ledger)
                return
            except IntegrityError:
                fresh = self.app.find_ledger(ledger.event_id)
                if fresh is None:
                    return
                ledger = fresh
                for booking_id in given_back:
                    ledger.give_back(booking_id)
                for message in messages:
                    if isinstance(message, SeatsLeased):
                        ledger.granted(message.lease_id, message.seats)
                    elif isinstance(message, LeaseRefused):
                        ledger.refused(message.lease_id, message.reason, datetime.now(UTC))
                    elif isinstance(message, EventCancelled):
                        ledger.close("event_cancelled")
                if not may_take_seats(self.app.find_waitlist(ledger.event_id)):
                    ledger.return_free("waitlist")
                if not ledger.pending_events:
                    return
        log.info("lease ledger %s not saved after 5 tries; the lease sweep recovers it", ledger.id)
