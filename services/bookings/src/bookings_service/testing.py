"""Test support for this service's tests (and e2e suites): an in-memory saga unit, the commands a step
sends, callers with real tokens, and catalogue messages as the events service would publish them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from pydantic import BaseModel

from contracts import Envelope, wrap
from contracts.events import EventCreated

from bookings_service import public
from bookings_service.consumers.saga_input import to_domain
from bookings_service.domain import Booking, BookingRules, Waitlist, waitlist_id
from bookings_service.domain.lease import SeatLedger, seat_ledger_id
from bookings_service.domain.saga import BookingSaga


@dataclass
class MemoryUnit:
    """`SagaUnit` over dicts: what the event store would hold, for given-message/expect-command tests."""

    rules_value: BookingRules = field(default_factory=BookingRules)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    store: dict[UUID, Aggregate] = field(default_factory=dict)
    leases: bool = True  # setting seat_leases
    ledger_lookups: int = 0  # how often the saga asked for a lease ledger (the store would be queried)

    def booking(self, booking_id: UUID) -> Booking | None:
        return self.store.get(booking_id)  # type: ignore[return-value]

    def waitlist(self, event_id: UUID, *, open_if_missing: bool = False) -> Waitlist | None:
        key = waitlist_id(event_id)
        if key not in self.store and open_if_missing:
            self.store[key] = Waitlist(event_id=event_id)
        return self.store.get(key)  # type: ignore[return-value]

    def ledger(self, event_id: UUID) -> SeatLedger | None:
        self.ledger_lookups += 1
        return self.store.get(seat_ledger_id(event_id))  # type: ignore[return-value]

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        return [a.id for a in self.store.values() if isinstance(a, Booking) and a.event_id == event_id
                and a.is_live]

    def rules(self) -> BookingRules:
        return self.rules_value

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.store[aggregate.id] = aggregate

    def given(self, message: BaseModel, version: int = 0) -> list[BaseModel]:
        """Deliver one message through the saga's edge (as aggregate `version` of its sender; 0: none) to the
        saga; returns every public message the resulting events publish."""
        heard = to_domain(wrap(message, aggregate_id=str(uuid4()), aggregate_version=version))
        if heard is not None:
            BookingSaga(self).on(heard)
        return self.published()

    def published(self) -> list[BaseModel]:
        """Collect pending events of every aggregate and translate them like the three relays do."""
        out: list[BaseModel] = []
        for aggregate in self.store.values():
            for domain_event in aggregate.collect_events():
                for translate in (public.to_public, public.to_seat_command, public.to_payment_command):
                    payload = translate(domain_event)
                    if payload is not None:
                        out.append(payload)
        return out


def names(messages: list[BaseModel]) -> list[str]:
    """Message type names, for compact assertions."""
    return [type(m).__name__ for m in messages]


def event_created(*, organizer: UUID, is_paid: bool = False, price: str | None = None, currency: str | None = None,
                  methods: tuple[str, ...] = (), capacity: int = 10, starts_in: timedelta = timedelta(days=7),
                  event_id: UUID | None = None, **extra: Any) -> Envelope:
    """An EventCreated envelope as the events service publishes it (aggregate version 1)."""
    event_id = event_id or uuid4()
    payload = EventCreated(event_id=event_id, created_by=organizer, created_at=datetime.now(UTC),
                           seats_available=capacity, title="Python meetup", start_time=datetime.now(UTC) + starts_in,
                           duration_minutes=90, max_participants=capacity, is_paid=is_paid,
                           price=Decimal(price) if price else None, currency=currency,
                           allowed_payment_methods=list(methods), **extra)
    return wrap(payload, aggregate_id=str(event_id), aggregate_version=1)


def feed_view(app: Any, conninfo: str) -> int:
    """What the bookings.v1 relay + projector do, without Kafka: every stored event → bookings_view."""
    from spine.projector import apply_in_transaction
    from spine.relay import Relay

    from bookings_service.projections.bookings_view import BookingsView

    relay = Relay(app, "bookings.v1", public.to_public, conninfo=conninfo)
    notifications = app.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    maybe = [relay.envelope_for(app.mapper.to_domain_event(n)) for n in notifications]
    envelopes = [e for e in maybe if e is not None]
    apply_in_transaction(conninfo, BookingsView(), envelopes)
    return len(envelopes)


def seat_message(payload: BaseModel, version: int) -> Envelope:
    """A seat answer as the events service publishes it on events.v1 (keyed by the event)."""
    return wrap(payload, aggregate_id=str(payload.event_id), aggregate_version=version)  # type: ignore[attr-defined]
