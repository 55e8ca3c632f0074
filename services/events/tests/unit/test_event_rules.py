"""Every rule of the Event aggregate, as organizers and admins meet them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts.events import PAYMENT_METHODS as CONTRACT_PAYMENT_METHODS

from events_service import domain
from events_service.domain import Actor, Event, EventDetails

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)
ORGANIZER = Actor(uuid4())
OTHER_ORGANIZER = Actor(uuid4())
ADMIN = Actor(uuid4(), may_manage_any=True)


def free(**overrides) -> EventDetails:
    """What the seed's POST /events/ sends: no price, currency, methods or tags."""
    base = EventDetails(title="Python meetup", description="Talks", start_time=NOW + timedelta(days=7),
                        duration_minutes=90, max_participants=30, is_paid=False)
    return replace(base, **overrides)


def paid(**overrides) -> EventDetails:
    return replace(free(is_paid=True, price=Decimal("25.00"), currency="EUR", allowed_payment_methods=["card"]),
                   **overrides)


def scheduled(details: EventDetails | None = None) -> Event:
    return Event.schedule(details or free(), created_by=ORGANIZER.user_id, now=NOW)


def test_a_seed_style_free_event_is_scheduled_with_every_seat_available():
    event = scheduled()
    assert (event.status, event.seats_taken, event.seats_available) == ("scheduled", 0, 30)
    assert event.created_by == ORGANIZER.user_id
    assert event.details.price is None and event.details.currency is None


def test_details_are_stored_in_canonical_form():
    event = scheduled(paid(title="  Meetup ", currency="eur", tags=["Python", " python", "AI", ""],
                           allowed_payment_methods=["Card", "card", "cash"],
                           start_time=(NOW + timedelta(days=1)).replace(tzinfo=None)))
    d = event.details
    assert (d.title, d.currency, d.tags, d.allowed_payment_methods) == ("Meetup", "EUR", ["python", "ai"],
                                                                        ["card", "cash"])
    assert d.start_time.tzinfo is not None


def test_a_free_event_may_say_price_zero():
    assert scheduled(free(price=Decimal("0"))).details.price is None


@pytest.mark.parametrize(("details", "error"), [
    (free(title=""), domain.EmptyTitle),
    (free(title="   "), domain.EmptyTitle),
    (free(start_time=NOW - timedelta(minutes=1)), domain.StartNotInFuture),
    (free(start_time=NOW), domain.StartNotInFuture),
    (free(duration_minutes=0), domain.NonPositiveDuration),
    (free(duration_minutes=-30), domain.NonPositiveDuration),
    (free(max_participants=0), domain.NonPositiveCapacity),
    (free(max_participants=-1), domain.NonPositiveCapacity),
    (paid(price=None), domain.InvalidPrice),
    (paid(price=Decimal("0")), domain.InvalidPrice),
    (paid(price=Decimal("-5")), domain.InvalidPrice),
    (free(price=Decimal("5")), domain.InvalidPrice),
    (paid(currency=None), domain.InvalidCurrency),
    (paid(currency="EU"), domain.InvalidCurrency),
    (paid(currency="E1R"), domain.InvalidCurrency),
    (paid(currency="EURO"), domain.InvalidCurrency),
    (free(currency="EUR"), domain.InvalidCurrency),
    (paid(allowed_payment_methods=["card", "bitcoin"]), domain.InvalidPaymentMethods),
    (free(allowed_payment_methods=["bitcoin"]), domain.InvalidPaymentMethods),
    (paid(allowed_payment_methods=[]), domain.InvalidPaymentMethods),
])
def test_invalid_details_are_refused_with_a_named_error(details, error):
    with pytest.raises(error) as refused:
        scheduled(details)
    assert isinstance(refused.value, domain.InvalidEventDetails)
    assert str(refused.value)  # the problem response shows this detail


def test_every_payment_method_of_the_contract_is_accepted():
    assert domain.PAYMENT_METHODS == CONTRACT_PAYMENT_METHODS
    event = scheduled(paid(allowed_payment_methods=list(CONTRACT_PAYMENT_METHODS)))
    assert event.details.allowed_payment_methods == list(CONTRACT_PAYMENT_METHODS)


def test_the_organizer_edits_and_only_real_changes_are_recorded():
    event = scheduled()
    event.collect_events()
    changed = event.update({"title": "Python meetup", "max_participants": 50}, actor=ORGANIZER, now=NOW)
    assert changed == {"max_participants": 50}
    assert event.seats_available == 50
    (updated,) = event.collect_events()
    assert (updated.changes, updated.seats_available) == ({"max_participants": 50}, 50)
    assert event.update({"title": "Python meetup"}, actor=ORGANIZER, now=NOW) == {}
    assert event.collect_events() == []


def test_an_admin_may_edit_and_cancel_anyones_event():
    event = scheduled()
    event.update({"title": "Renamed"}, actor=ADMIN, now=NOW)
    event.cancel(actor=ADMIN, reason="Venue flooded")
    assert (event.details.title, event.status, event.cancel_reason) == ("Renamed", "cancelled", "Venue flooded")


def test_another_organizer_may_neither_edit_nor_cancel():
    event = scheduled()
    with pytest.raises(domain.NotEventOrganizer):
        event.update({"title": "Mine now"}, actor=OTHER_ORGANIZER, now=NOW)
    with pytest.raises(domain.NotEventOrganizer):
        event.cancel(actor=OTHER_ORGANIZER)
    assert (event.details.title, event.status) == ("Python meetup", "scheduled")


def test_edits_follow_the_same_rules_as_creation():
    event = scheduled()
    with pytest.raises(domain.InvalidPrice):
        event.update({"is_paid": True}, actor=ORGANIZER, now=NOW)
    with pytest.raises(domain.StartNotInFuture):
        event.update({"start_time": NOW - timedelta(hours=1)}, actor=ORGANIZER, now=NOW)
    with pytest.raises(domain.NonPositiveCapacity):
        event.update({"max_participants": 0}, actor=ORGANIZER, now=NOW)
    event.update({"is_paid": True, "price": Decimal("10"), "currency": "usd", "allowed_payment_methods": ["cash"]},
                 actor=ORGANIZER, now=NOW)
    assert (event.details.is_paid, event.details.currency) == (True, "USD")


def test_an_event_that_already_started_can_still_get_a_new_description():
    event = scheduled()
    later = event.details.start_time + timedelta(minutes=5)
    assert event.update({"description": "Slides are online"}, actor=ORGANIZER, now=later) == {
        "description": "Slides are online"}


def test_capacity_never_drops_below_seats_already_taken():
    event = scheduled()
    event.seats_taken = 20  # as the booking saga's reservations will leave it
    with pytest.raises(domain.CapacityBelowSeatsTaken):
        event.update({"max_participants": 19}, actor=ORGANIZER, now=NOW)
    event.update({"max_participants": 20}, actor=ORGANIZER, now=NOW)
    assert event.seats_available == 0


def test_a_cancelled_event_is_final():
    event = scheduled()
    event.cancel(actor=ORGANIZER, reason="  ")
    assert event.cancel_reason is None
    with pytest.raises(domain.EventAlreadyCancelled):
        event.cancel(actor=ORGANIZER)
    with pytest.raises(domain.EventAlreadyCancelled):
        event.update({"title": "Back on"}, actor=ADMIN, now=NOW)


def test_replaying_the_stored_events_rebuilds_the_same_event():
    event = scheduled(paid())
    event.update({"max_participants": 40, "tags": ["Python"]}, actor=ORGANIZER, now=NOW)
    event.cancel(actor=ADMIN, reason="Speaker ill")
    copy = None
    for stored in event.collect_events():
        copy = stored.mutate(copy)
    assert copy is not None
    assert (copy.details, copy.status, copy.seats_available, copy.version) == (
        event.details, "cancelled", 40, 3)


@pytest.mark.parametrize("price, currency", [
    ("10.50", "JPY"), ("10.5", "KRW"), ("25.005", "EUR"), ("1.1255", "KWD"),
])
def test_a_price_finer_than_its_currencys_minor_unit_is_refused(price, currency):
    with pytest.raises(domain.InvalidPrice, match=currency):
        scheduled(paid(price=Decimal(price), currency=currency))


@pytest.mark.parametrize("price, currency", [("1000", "JPY"), ("10.00", "JPY"), ("25.5", "EUR"), ("1.125", "KWD")])
def test_prices_in_whole_minor_units_are_accepted(price, currency):
    assert scheduled(paid(price=Decimal(price), currency=currency)).details.price == Decimal(price)


def test_a_currency_nobody_prices_in_is_refused():
    with pytest.raises(domain.InvalidCurrency):
        scheduled(paid(currency="XYZ"))


def test_moving_an_event_to_jpy_keeps_the_minor_unit_rule():
    event = scheduled(paid(price=Decimal("12.50")))
    with pytest.raises(domain.InvalidPrice):
        event.update({"currency": "JPY"}, actor=ORGANIZER, now=NOW)
    event.update({"currency": "JPY", "price": Decimal("1250")}, actor=ORGANIZER, now=NOW)
    assert (event.details.currency, event.details.price) == ("JPY", Decimal("1250"))


def test_an_organizer_cannot_cancel_an_event_that_has_started_but_an_admin_can():
    event = scheduled()
    started = event.details.start_time + timedelta(minutes=1)
    with pytest.raises(domain.EventAlreadyStarted):
        event.cancel(actor=ORGANIZER, now=started)
    with pytest.raises(domain.EventAlreadyStarted):
        event.cancel(actor=ORGANIZER, now=event.details.start_time)
    assert not event.cancelled
    event.cancel(actor=ADMIN, now=started, reason="venue closed mid-event")
    assert event.cancelled


def test_an_organizer_may_cancel_until_the_start():
    event = scheduled()
    event.cancel(actor=ORGANIZER, now=event.details.start_time - timedelta(seconds=1))
    assert event.status == "cancelled"
