"""PATCH /api/v1/events/{id} and POST /api/v1/events/{id}/cancel: owner, other organizer, admin."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from webkit.testing import assert_problem as problem

pytestmark = pytest.mark.api

URL = "/api/v1/events/"


def publish(client, who) -> dict:
    payload = {"title": "Python meetup", "description": "Talks", "duration_minutes": 90, "max_participants": 30,
               "start_time": (datetime.now(UTC) + timedelta(days=7)).isoformat(), "is_paid": False}
    response = client.post(URL, json=payload, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_organizer_edits_some_fields_and_the_rest_stay(client, organizer):
    event = publish(client, organizer)
    response = client.patch(f"{URL}{event['id']}", headers=organizer.headers,
                            json={"title": "Python & pizza", "max_participants": 50, "tags": ["Food"]})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["title"], edited["max_participants"], edited["seats_available"], edited["tags"]) == (
        "Python & pizza", 50, 50, ["food"])
    assert (edited["description"], edited["start_time"]) == (event["description"], event["start_time"])
    assert edited["updated_at"] > event["updated_at"]
    assert client.get(f"{URL}{event['id']}").json() == edited


def test_turning_a_free_event_into_a_paid_one_needs_price_currency_and_methods(client, organizer):
    event = publish(client, organizer)
    problem(client.patch(f"{URL}{event['id']}", json={"is_paid": True}, headers=organizer.headers), 422)
    response = client.patch(f"{URL}{event['id']}", headers=organizer.headers, json={
        "is_paid": True, "price": "12.50", "currency": "USD", "allowed_payment_methods": ["card"]})
    assert (response.json()["is_paid"], response.json()["price"]) == (True, "12.50")
    back = client.patch(f"{URL}{event['id']}", headers=organizer.headers,
                        json={"is_paid": False, "price": None, "currency": None})
    assert (back.json()["is_paid"], back.json()["price"], back.json()["currency"]) == (False, None, None)


@pytest.mark.parametrize("body", [{"duration_minutes": 0}, {"title": ""}, {"title": None},
                                  {"max_participants": None}, {"start_time": "2001-01-01T00:00:00Z"},
                                  {"max_participants": "lots"}])
def test_invalid_edits_get_422_and_change_nothing(client, organizer, body):
    event = publish(client, organizer)
    problem(client.patch(f"{URL}{event['id']}", json=body, headers=organizer.headers), 422)
    assert client.get(f"{URL}{event['id']}").json() == event


def test_another_organizer_or_a_participant_may_not_edit_or_cancel(client, organizer, other_organizer,
                                                                   participant):
    event = publish(client, organizer)
    for stranger in (other_organizer, participant):
        body = problem(client.patch(f"{URL}{event['id']}", json={"title": "Mine"}, headers=stranger.headers), 403)
        assert body["type"] == "/docs/problems#not-event-organizer"
        problem(client.post(f"{URL}{event['id']}/cancel", headers=stranger.headers), 403)
    assert client.get(f"{URL}{event['id']}").json() == event


def test_an_admin_may_edit_and_cancel_anyones_event(client, organizer, admin):
    event = publish(client, organizer)
    edited = client.patch(f"{URL}{event['id']}", json={"title": "Moderated"}, headers=admin.headers)
    assert edited.status_code == 200 and edited.json()["created_by"] == str(organizer.user_id)
    cancelled = client.post(f"{URL}{event['id']}/cancel", json={"reason": "Spam"}, headers=admin.headers)
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Spam")


def test_editing_and_cancelling_need_a_token(client, organizer):
    event = publish(client, organizer)
    problem(client.patch(f"{URL}{event['id']}", json={"title": "x"}), 401)
    problem(client.post(f"{URL}{event['id']}/cancel"), 401)


def test_unknown_or_malformed_ids(client, organizer):
    problem(client.patch(f"{URL}{uuid4()}", json={"title": "x"}, headers=organizer.headers), 404)
    problem(client.post(f"{URL}{uuid4()}/cancel", headers=organizer.headers), 404)
    problem(client.patch(f"{URL}42", json={"title": "x"}, headers=organizer.headers), 422)
    problem(client.post(f"{URL}42/cancel", headers=organizer.headers), 422)


def test_a_cancelled_event_can_be_neither_edited_nor_cancelled_again(client, organizer):
    event = publish(client, organizer)
    first = client.post(f"{URL}{event['id']}/cancel", headers=organizer.headers)  # no body: reason is optional
    assert (first.status_code, first.json()["status"], first.json()["cancel_reason"]) == (200, "cancelled", None)
    body = problem(client.post(f"{URL}{event['id']}/cancel", json={"reason": "again"}, headers=organizer.headers),
                   409)
    assert body["type"] == "/docs/problems#event-already-cancelled"
    problem(client.patch(f"{URL}{event['id']}", json={"title": "Back on"}, headers=organizer.headers), 409)
    assert client.get(f"{URL}{event['id']}").json() == first.json()


def test_a_disabled_users_token_is_refused_within_seconds(client, settings, organizer):
    publish(client, organizer)
    with psycopg.connect(settings.conninfo(settings.database)) as conn:  # as the worker's projection does
        conn.execute("INSERT INTO disabled_users VALUES (%s, now(), 'fraud')", (organizer.user_id,))
    deadline = time.monotonic() + 5  # the api re-reads the disabled set every 2 s
    while (response := client.post(URL, json={}, headers=organizer.headers)).status_code != 401:
        assert response.status_code == 422 and time.monotonic() < deadline
        time.sleep(0.2)
    assert "disabled" in problem(response, 401)["detail"]


def paid_payload(price: str, currency: str) -> dict:
    return {"title": "Gig", "duration_minutes": 90, "max_participants": 30, "is_paid": True, "price": price,
            "currency": currency, "allowed_payment_methods": ["card"],
            "start_time": (datetime.now(UTC) + timedelta(days=7)).isoformat()}


def test_prices_must_respect_the_currencys_minor_units(client, organizer):
    body = problem(client.post(URL, json=paid_payload("10.50", "JPY"), headers=organizer.headers), 422)
    assert body["type"] == "/docs/problems#invalid-price" and "JPY" in body["detail"]
    problem(client.post(URL, json=paid_payload("5.00", "XYZ"), headers=organizer.headers), 422)
    yen = client.post(URL, json=paid_payload("1050", "JPY"), headers=organizer.headers)
    assert yen.status_code == 201 and yen.json()["price"] == "1050"
    dinar = client.post(URL, json=paid_payload("1.125", "KWD"), headers=organizer.headers)
    assert dinar.status_code == 201 and dinar.json()["price"] == "1.125"
    euro = client.post(URL, json=paid_payload("25.50", "EUR"), headers=organizer.headers).json()
    body = problem(client.patch(f"{URL}{euro['id']}", json={"currency": "JPY"}, headers=organizer.headers), 422)
    assert body["type"] == "/docs/problems#invalid-price"
    assert client.get(f"{URL}{euro['id']}").json()["currency"] == "EUR"


def test_a_started_event_cannot_be_cancelled_by_its_organizer_only_by_an_admin(client, organizer, admin):
    from events_service.domain import Event, EventDetails

    past = datetime.now(UTC) - timedelta(hours=2)
    details = EventDetails(title="Running now", start_time=past + timedelta(hours=1), duration_minutes=180,
                           max_participants=10)
    app = client.app.state.container.events
    event = Event.schedule(details, created_by=organizer.user_id, now=past)
    app.save(event)
    body = problem(client.post(f"{URL}{event.id}/cancel", headers=organizer.headers), 409)
    assert body["type"] == "/docs/problems#event-already-started"
    assert client.get(f"{URL}{event.id}").json()["status"] == "scheduled"
    response = client.post(f"{URL}{event.id}/cancel", json={"reason": "fire alarm"}, headers=admin.headers)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
