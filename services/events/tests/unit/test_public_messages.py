"""The relay publishes public contracts, never the aggregate's internal events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts import parse_payload
from contracts.events import EventCancelled, EventCreated, EventUpdated

from events_service import public
from events_service.domain import Actor, Event, EventDetails

pytestmark = pytest.mark.unit

ORGANIZER = Actor(uuid4())


def history() -> tuple[Event, list]:
    details = EventDetails(title="Concert", start_time=datetime.now(UTC) + timedelta(days=3), duration_minutes=120,
                           max_participants=100, is_paid=True, price=Decimal("40.00"), currency="EUR",
                           allowed_payment_methods=["card"], tags=["music"])
    event = Event.schedule(details, created_by=ORGANIZER.user_id)
    event.update({"max_participants": 80, "price": Decimal("45.00")}, actor=ORGANIZER)
    event.cancel(actor=ORGANIZER, reason="Band split up")
    return event, event.collect_events()


def test_each_internal_event_becomes_its_public_message():
    event, (scheduled, updated, cancelled) = history()
    created = public.to_public(scheduled)
    assert isinstance(created, EventCreated)
    assert (created.event_id, created.created_by, created.seats_available, created.price, created.tags) == (
        event.id, ORGANIZER.user_id, 100, Decimal("40.00"), ["music"])
    changed = public.to_public(updated)
    assert isinstance(changed, EventUpdated)
    assert (changed.changes, changed.seats_available) == ({"max_participants": 80, "price": Decimal("45.00")}, 80)
    gone = public.to_public(cancelled)
    assert isinstance(gone, EventCancelled) and gone.reason == "Band split up"


def test_envelopes_carry_aggregate_version_and_a_stable_id():
    event, events = history()
    envelopes = [public.to_envelope(e) for e in events]
    assert [e.type for e in envelopes] == ["EventCreated", "EventUpdated", "EventCancelled"]
    assert [e.aggregate_version for e in envelopes] == [1, 2, 3]
    assert {e.aggregate_id for e in envelopes} == {str(event.id)}
    assert public.to_envelope(events[0]).event_id == envelopes[0].event_id  # re-publishing keeps the id
    # What consumers parse is the contract, with JSON-safe values.
    assert parse_payload(envelopes[1]).changes == {"max_participants": 80, "price": "45.00"}


def test_types_without_a_public_meaning_are_not_published():
    assert public.to_public(object()) is None
    assert public.to_envelope(object()) is None
