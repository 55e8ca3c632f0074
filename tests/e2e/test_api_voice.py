"""Issue 11, one consistent API voice, through the gateway: enabled payment methods only, no free/paid switch
with bookings, cancelled events hidden by default, money with its currency's minor units in every service, and
statuses and reasons documented as enums in each service's OpenAPI.
"""

from __future__ import annotations

import pytest

from e2e_support import Platform, eventually, is_problem

pytestmark = pytest.mark.e2e


def test_an_event_cannot_advertise_a_method_that_is_not_switched_on(platform: Platform):
    """The e2e system runs payments with the sandbox and without Stripe or YooKassa keys."""
    organizer = platform.organizer()
    body = {"title": "Stripe gig", "start_time": "2031-05-01T18:00:00Z", "duration_minutes": 60,
            "max_participants": 5, "is_paid": True, "price": "10", "currency": "EUR"}
    refused = platform.http.post("/api/v1/events/", json={**body, "allowed_payment_methods": ["stripe"]},
                                 headers=organizer.auth)
    assert is_problem(refused, 422), refused.text
    assert refused.json()["enabled_methods"] == ["balance", "card", "cash", "sandbox"]
    assert "stripe" in refused.json()["detail"]
    event = platform.create_event(organizer, seats=5, price="10", methods=("sandbox", "cash"))
    assert event["allowed_payment_methods"] == ["sandbox", "cash"]
    added = platform.http.patch(f"/api/v1/events/{event['id']}", json={"allowed_payment_methods": ["yookassa"]},
                                headers=organizer.auth)
    assert is_problem(added, 422), added.text


def test_free_and_paid_do_not_switch_once_bookings_hold_seats(platform: Platform):
    organizer, participant = platform.organizer(), platform.register()
    untouched = platform.create_event(organizer, seats=5)
    to_paid = {"is_paid": True, "price": "12", "currency": "EUR", "allowed_payment_methods": ["sandbox"]}
    switched = platform.http.patch(f"/api/v1/events/{untouched['id']}", json=to_paid, headers=organizer.auth)
    assert switched.status_code == 200 and switched.json()["price"] == "12.00", switched.text

    event = platform.create_event(organizer, seats=5)
    platform.wait_bookable(event["id"], participant)
    booking = platform.booked(participant, event["id"], 2)
    platform.wait_status(participant, booking["id"], "confirmed")
    refused = platform.http.patch(f"/api/v1/events/{event['id']}", json=to_paid, headers=organizer.auth)
    assert is_problem(refused, 409), refused.text
    assert "free terms" in refused.json()["detail"]
    assert platform.event(event["id"])["is_paid"] is False


def test_cancelled_events_are_hidden_from_the_catalogue_unless_asked_for(platform: Platform):
    organizer = platform.organizer()
    event = platform.create_event(organizer, seats=3, title="Called off")
    cancelled = platform.http.post(f"/api/v1/events/{event['id']}/cancel", json={"reason": "Rain"},
                                   headers=organizer.auth)
    assert cancelled.status_code == 200, cancelled.text
    mine = {"created_by": organizer.id, "after": cancelled.headers["X-Event-Position"]}

    def listed(**params) -> list[str]:
        r = platform.http.get("/api/v1/events/", params={**mine, **params})
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()]

    eventually(lambda: listed(include_cancelled="true") == [event["id"]] or None, timeout=10,
               what="the cancelled event in the catalogue")
    assert listed() == []
    assert listed(status="cancelled") == [event["id"]]


def test_money_has_the_currency_minor_units_in_events_bookings_and_payments(platform: Platform):
    organizer, participant = platform.organizer(), platform.register()
    r = platform.http.post("/api/v1/events/", headers=organizer.auth, json={
        "title": "Tokyo night", "start_time": "2031-05-01T18:00:00Z", "duration_minutes": 60, "max_participants": 5,
        "is_paid": True, "price": "1500.00", "currency": "JPY", "allowed_payment_methods": ["sandbox"]})
    assert r.status_code == 201, r.text
    yen = r.json()
    assert yen["price"] == "1500"
    euro = platform.create_event(organizer, seats=5, price="10")
    assert euro["price"] == "10.00"

    for event, total in ((yen, "3000"), (euro, "20.00")):
        platform.wait_bookable(event["id"], participant)
        booking = platform.booked(participant, event["id"], 2, method="sandbox")
        waiting = platform.wait_status(participant, booking["id"], "awaiting_payment")
        assert waiting["amount"] == total
        payment = platform.pay(participant, waiting["payment_id"])
        assert payment["amount"] == total
        confirmed = platform.wait_status(participant, booking["id"], "confirmed")
        assert confirmed["amount"] == total
        listed = platform.http.get("/api/v1/payments/", headers=participant.auth).json()
        assert {p["amount"] for p in listed if p["id"] == waiting["payment_id"]} <= {total}


def test_statuses_and_reasons_are_enums_in_openapi(platform: Platform):
    def schema(service: str, name: str) -> dict:
        spec = platform.http.get(f"/docs/{service}/openapi.json")
        assert spec.status_code == 200
        return spec.json()["components"]["schemas"][name]

    def values(spec: dict, service: str) -> set[str]:
        schemas = platform.http.get(f"/docs/{service}/openapi.json").json()["components"]["schemas"]
        found: set[str] = set()
        for option in spec.get("anyOf", [spec]):
            ref = option.get("$ref")
            found |= set((schemas[ref.rsplit("/", 1)[1]] if ref else option).get("enum", []))
        return found

    booking = schema("bookings", "BookingPublic")["properties"]
    assert {"pending", "confirmed", "expired"} <= values(booking["status"], "bookings")
    assert {"user", "admin", "event_cancelled", "waitlist_full"} <= values(booking["reason"], "bookings")
    payment = schema("payments", "PaymentPublic")["properties"]
    assert values(payment["status"], "payments") == {"pending", "succeeded", "failed", "refunded", "voided"}
    assert {"user", "booking_not_live", "amount_mismatch"} <= values(payment["refund_reason"], "payments")
    assert "sandbox" in values(payment["payment_method"], "payments")
    event = schema("events", "EventPublic")["properties"]
    assert values(event["status"], "events") == {"scheduled", "cancelled"}
