"""Issue 11: an event advertises only payment methods that are switched on, and cannot switch between free
and paid while bookings hold seats. Money in responses is written with the currency's minor units.

The methods come from payments' PaymentMethodsAvailable (fed here into the view as the worker's projector
would); before it has arrived the development fallback applies (domain/payment_methods.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import wrap
from contracts.payments import PaymentMethodsAvailable
from spine.projector import apply_in_transaction
from webkit.testing import assert_problem as problem

from events_service.projections.payment_methods import PaymentMethodsReplica

pytestmark = pytest.mark.api

URL = "/api/v1/events/"
METHODS_ID = "0e059233-7ebd-5fab-bb60-1a394acee710"  # payments' fixed id (payments_service.domain.methods)


def body(**fields) -> dict:
    return {"title": "Concert", "duration_minutes": 90, "max_participants": 30,
            "start_time": (datetime.now(UTC) + timedelta(days=7)).isoformat(), "is_paid": False, **fields}


def paid(methods: list[str], **fields) -> dict:
    return body(is_paid=True, price="10", currency="EUR", allowed_payment_methods=methods, **fields)


def announce(settings, methods: list[str], version: int) -> None:
    """What the events worker does with payments' announcement from payments.v1."""
    fact = PaymentMethodsAvailable(methods=methods, announced_at=datetime.now(UTC))
    apply_in_transaction(settings.conninfo(settings.database), PaymentMethodsReplica(),
                         [wrap(fact, aggregate_id=METHODS_ID, aggregate_version=version)])


def test_before_payments_announces_anything_the_development_defaults_apply(client, organizer):
    refused = client.post(URL, json=paid(["stripe"]), headers=organizer.headers)
    found = problem(refused, 422)
    assert found["enabled_methods"] == ["balance", "card", "cash", "sandbox"]
    assert "stripe" in found["detail"] and "sandbox" in found["detail"]
    assert client.post(URL, json=paid(["card", "cash"]), headers=organizer.headers).status_code == 201


def test_an_event_may_advertise_only_the_methods_payments_switched_on(client, organizer, settings):
    announce(settings, ["card", "stripe", "cash"], version=1)
    assert client.post(URL, json=paid(["stripe"]), headers=organizer.headers).status_code == 201

    announce(settings, ["cash", "balance"], version=2)  # Stripe's keys were removed, payments restarted
    refused = problem(client.post(URL, json=paid(["stripe", "cash"]), headers=organizer.headers), 422)
    assert refused["enabled_methods"] == ["balance", "cash"]
    assert refused["type"].endswith("#payment-method-not-enabled")
    announce(settings, ["card", "stripe", "cash"], version=1)  # an older announcement again: ignored
    problem(client.post(URL, json=paid(["card"]), headers=organizer.headers), 422)
    assert client.post(URL, json=paid(["cash"]), headers=organizer.headers).status_code == 201


def test_an_edit_may_keep_a_method_switched_off_since_but_not_add_one(client, organizer, settings):
    announce(settings, ["card", "stripe", "cash", "balance"], version=3)
    event = client.post(URL, json=paid(["stripe"]), headers=organizer.headers).json()
    announce(settings, ["cash", "balance"], version=4)
    renamed = client.patch(f"{URL}{event['id']}", json={"title": "Renamed"}, headers=organizer.headers)
    assert renamed.status_code == 200, renamed.text
    problem(client.patch(f"{URL}{event['id']}", json={"allowed_payment_methods": ["stripe", "card"]},
                         headers=organizer.headers), 422)
    fixed = client.patch(f"{URL}{event['id']}", json={"allowed_payment_methods": ["cash"]}, headers=organizer.headers)
    assert fixed.status_code == 200 and fixed.json()["allowed_payment_methods"] == ["cash"]
    assert client.get(f"{URL}{event['id']}").json()["allowed_payment_methods"] == ["cash"]


def hold_seats(client, event_id: str, seats: int = 2) -> None:
    """A booking holds seats, as the booking saga's ReserveSeats would make it."""
    app = client.app.state.container.events
    event = app.get_event(event_id)
    event.reserve_seats(uuid4(), seats)
    app.save(event)


@pytest.mark.parametrize(("start", "switch"), [
    ({"is_paid": False}, {"is_paid": True, "price": "5.00", "currency": "EUR", "allowed_payment_methods": ["cash"]}),
    ({"is_paid": True, "price": "5.00", "currency": "EUR", "allowed_payment_methods": ["cash"]},
     {"is_paid": False, "price": None, "currency": None}),
])
def test_an_event_with_bookings_cannot_switch_between_free_and_paid(client, organizer, settings, start, switch):
    announce(settings, ["cash", "balance", "card", "sandbox"], version=5)
    event = client.post(URL, json=body(**start), headers=organizer.headers).json()
    hold_seats(client, event["id"])
    refused = problem(client.patch(f"{URL}{event['id']}", json=switch, headers=organizer.headers), 409)
    assert "2 seats" in refused["detail"] and refused["type"].endswith("#paid-switch-with-bookings")
    after = client.get(f"{URL}{event['id']}").json()
    assert (after["is_paid"], after["seats_available"]) == (start["is_paid"], 28)
    # Other edits still go through.
    assert client.patch(f"{URL}{event['id']}", json={"title": "Moved"}, headers=organizer.headers).status_code == 200


def test_an_event_without_bookings_switches_freely(client, organizer):
    event = client.post(URL, json=body(), headers=organizer.headers).json()
    to_paid = client.patch(f"{URL}{event['id']}", headers=organizer.headers,
                           json={"is_paid": True, "price": "7", "currency": "EUR", "allowed_payment_methods": ["cash"]})
    assert to_paid.status_code == 200 and to_paid.json()["price"] == "7.00"
    to_free = client.patch(f"{URL}{event['id']}", json={"is_paid": False, "price": None, "currency": None},
                           headers=organizer.headers)
    assert to_free.status_code == 200 and to_free.json()["is_paid"] is False


@pytest.mark.parametrize(("price", "currency", "shown"), [
    ("10", "EUR", "10.00"), ("10.5", "EUR", "10.50"), (10, "USD", "10.00"), ("1000", "JPY", "1000"),
    ("1000.00", "JPY", "1000"), ("10", "KWD", "10.000"), ("0.125", "BHD", "0.125"),
])
def test_prices_are_written_with_the_currency_minor_units(client, organizer, feed_catalogue_now, price, currency,
                                                         shown):
    created = client.post(URL, json=body(is_paid=True, price=price, currency=currency,
                                         allowed_payment_methods=["cash"], title=f"Priced {uuid4().hex[:6]}"),
                          headers=organizer.headers)
    assert created.status_code == 201, created.text
    assert created.json()["price"] == shown
    assert client.get(f"{URL}{created.json()['id']}").json()["price"] == shown
    feed_catalogue_now()
    (listed,) = client.get(URL, params={"q": created.json()["title"]}).json()
    assert listed["price"] == shown


@pytest.mark.parametrize(("price", "currency"), [("1000.5", "JPY"), ("10.001", "EUR"), ("1.0001", "KWD")])
def test_a_price_finer_than_its_currency_is_refused(client, organizer, price, currency):
    problem(client.post(URL, json=body(is_paid=True, price=price, currency=currency,
                                       allowed_payment_methods=["cash"]), headers=organizer.headers), 422)
