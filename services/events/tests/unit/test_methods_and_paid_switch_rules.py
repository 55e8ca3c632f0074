"""The Event's rules for payment methods that are switched on and for switching between free and paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from events_service import domain
from events_service.domain import Actor, Event, EventDetails

pytestmark = pytest.mark.unit

ORGANIZER = uuid4()


def details(**overrides) -> EventDetails:
    fields = dict(title="Gig", start_time=datetime.now(UTC) + timedelta(days=3), duration_minutes=60,
                  max_participants=10, is_paid=True, price=Decimal("10"), currency="EUR",
                  allowed_payment_methods=["cash"])
    return EventDetails(**{**fields, **overrides})


def test_before_payments_has_spoken_the_environment_defaults_apply():
    assert domain.fallback_payment_methods(production=True) == ("cash", "balance")
    assert set(domain.fallback_payment_methods(production=False)) == {"card", "sandbox", "cash", "balance"}


def test_scheduling_refuses_methods_that_are_off_and_names_those_on():
    with pytest.raises(domain.PaymentMethodNotEnabled) as refused:
        Event.schedule(details(allowed_payment_methods=["stripe", "cash"]), created_by=ORGANIZER,
                       enabled_methods=["cash", "balance"])
    assert refused.value.problem_extensions == {"enabled_methods": ["balance", "cash"]}
    assert isinstance(refused.value, domain.InvalidEventDetails)  # a 422, like every other bad detail
    event = Event.schedule(details(allowed_payment_methods=["stripe"]), created_by=ORGANIZER)  # no list: no check
    assert event.details.allowed_payment_methods == ["stripe"]


def test_an_edit_keeps_a_method_switched_off_since_but_adds_none():
    event = Event.schedule(details(allowed_payment_methods=["stripe"]), created_by=ORGANIZER)
    actor = Actor(ORGANIZER)
    assert event.update({"title": "Renamed"}, actor=actor, enabled_methods=["cash"]) == {"title": "Renamed"}
    with pytest.raises(domain.PaymentMethodNotEnabled):
        event.update({"allowed_payment_methods": ["stripe", "card"]}, actor=actor, enabled_methods=["cash"])


def test_prices_are_kept_with_the_currency_minor_units():
    assert str(Event.schedule(details(price=Decimal("10")), created_by=ORGANIZER).details.price) == "10.00"
    yen = Event.schedule(details(price=Decimal("1500.00"), currency="jpy"), created_by=ORGANIZER)
    assert str(yen.details.price) == "1500"


@pytest.mark.parametrize(("start", "switch"), [
    (dict(is_paid=False, price=None, currency=None, allowed_payment_methods=[]),
     {"is_paid": True, "price": Decimal("5"), "currency": "EUR", "allowed_payment_methods": ["cash"]}),
    ({}, {"is_paid": False, "price": None, "currency": None}),
])
def test_free_and_paid_switch_only_while_no_booking_holds_seats(start, switch):
    actor = Actor(ORGANIZER)
    free_to_switch = Event.schedule(details(**start), created_by=ORGANIZER)
    assert "is_paid" in free_to_switch.update(switch, actor=actor)
    booked = Event.schedule(details(**start), created_by=ORGANIZER)
    booked.reserve_seats(uuid4(), 3)
    with pytest.raises(domain.PaidSwitchWithBookings, match="3 seats"):
        booked.update(switch, actor=actor)
    assert booked.update({"max_participants": 20}, actor=actor) == {"max_participants": 20}
