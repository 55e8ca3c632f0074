"""POST /api/v1/events/ and GET /api/v1/events/{id}: who may publish, what is accepted, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from webkit.testing import assert_problem

from events_service import public

pytestmark = pytest.mark.api

URL = "/api/v1/events/"


def soon(days: int = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def seed_payload(**overrides) -> dict:
    """Exactly the fields the original API accepted."""
    return {"title": "Python meetup", "description": "Talks and pizza", "start_time": soon(),
            "duration_minutes": 90, "max_participants": 30, "is_paid": False, **overrides}


def paid_payload(**overrides) -> dict:
    return seed_payload(**{"is_paid": True, "price": "25.00", "currency": "eur",
                            "allowed_payment_methods": ["card", "cash"], "tags": ["Python"], **overrides})


def test_an_organizer_publishes_a_seed_style_free_event(client, organizer):
    response = client.post(URL, json=seed_payload(), headers=organizer.headers)
    assert response.status_code == 201, response.text
    event = response.json()
    assert response.headers["Location"] == f"/api/v1/events/{event['id']}"
    assert event["seats_available"] == 30 and event["status"] == "scheduled"
    assert event["created_by"] == str(organizer.user_id)
    assert (event["price"], event["currency"], event["allowed_payment_methods"], event["tags"]) == (None, None, [], [])
    assert client.get(f"{URL}{event['id']}").json() == event


def test_a_paid_event_keeps_its_price_currency_and_methods(client, admin):
    event = client.post(URL, json=paid_payload(), headers=admin.headers).json()
    assert (event["price"], event["currency"], event["allowed_payment_methods"], event["tags"]) == (
        "25.00", "EUR", ["card", "cash"], ["python"])


def test_publishing_needs_a_valid_token(client):
    body = assert_problem(client.post(URL, json=seed_payload()), 401)
    assert client.post(URL, json=seed_payload()).headers["WWW-Authenticate"] == "Bearer"
    assert body["title"] == "Unauthorized"
    assert_problem(client.post(URL, json=seed_payload(), headers={"Authorization": "Bearer not-a-jwt"}), 401)


def test_participants_may_not_publish_events(client, participant):
    body = assert_problem(client.post(URL, json=seed_payload(), headers=participant.headers), 403)
    assert body["required_permission"] == "events:create"


@pytest.mark.parametrize(("payload", "title"), [
    (seed_payload(title="  "), "EmptyTitle"),
    (seed_payload(start_time=(datetime.now(UTC) - timedelta(hours=1)).isoformat()), "StartNotInFuture"),
    (seed_payload(duration_minutes=0), "NonPositiveDuration"),
    (seed_payload(max_participants=0), "NonPositiveCapacity"),
    (seed_payload(is_paid=True), "InvalidPrice"),
    (paid_payload(currency=None), "InvalidCurrency"),
    (seed_payload(price="10.00"), "InvalidPrice"),
    (paid_payload(allowed_payment_methods=["bitcoin"]), "InvalidPaymentMethods"),
])
def test_broken_rules_get_a_422_problem_naming_the_rule(client, organizer, payload, title):
    body = assert_problem(client.post(URL, json=payload, headers=organizer.headers), 422, title)
    assert body["detail"]


def test_malformed_bodies_get_a_422_problem_listing_the_fields(client, organizer):
    payload = seed_payload(max_participants="many")
    del payload["title"]
    body = assert_problem(client.post(URL, json=payload, headers=organizer.headers), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "title"), ("body", "max_participants")}


def mine(client, who, feed_catalogue_now) -> list[dict]:
    feed_catalogue_now()
    return client.get(URL, params={"created_by": str(who.user_id)}).json()


def test_refused_events_are_not_created(client, organizer, feed_catalogue_now):
    client.post(URL, json=seed_payload(duration_minutes=-1), headers=organizer.headers)
    assert mine(client, organizer, feed_catalogue_now) == []


def test_a_retried_create_with_the_same_idempotency_key_makes_one_event(client, organizer, feed_catalogue_now):
    headers = {**organizer.headers, "Idempotency-Key": str(uuid4())}
    payload = seed_payload()
    first = client.post(URL, json=payload, headers=headers)
    again = client.post(URL, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [e["id"] for e in mine(client, organizer, feed_catalogue_now)] == [first.json()["id"]]
    assert_problem(client.post(URL, json=seed_payload(title="Other"), headers=headers), 422)


def test_unknown_and_malformed_ids(client):
    assert_problem(client.get(f"{URL}{uuid4()}"), 404, "EventNotFound")
    body = assert_problem(client.get(f"{URL}not-a-uuid"), 422)
    assert body["errors"][0]["loc"] == ["path", "event_id"]


def test_the_service_reports_health_and_serves_its_docs(client):
    assert client.get("/health/events").json() == {"status": "ok"}
    assert "/api/v1/events/{event_id}/cancel" in client.get("/docs/events/openapi.json").json()["paths"]


def test_stored_events_remember_who_and_which_request_caused_them(client, organizer):
    headers = {**organizer.headers, "X-Correlation-ID": "req-42"}
    event = client.post(URL, json=seed_payload(), headers=headers).json()
    app = client.app.state.container.events
    (stored,) = app.events.get(UUID(event["id"]))
    envelope = public.to_envelope(stored)
    assert (envelope.actor_id, envelope.correlation_id, envelope.type) == (str(organizer.user_id), "req-42",
                                                                            "EventCreated")
