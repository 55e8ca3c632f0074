"""GET /api/v1/audit: admins read every service's events, filtered, newest first, paged; nobody can change them.

Entries are written the way the worker writes them (ProjectionStore.apply_batch: positions and rows in one
transaction) into the real PostgreSQL database of the API under test; Kafka is the worker's concern
(tests/integration/test_audit_log.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import uuid4

import pytest

from contracts import Envelope
from spine.projector import ProjectionStore
from webkit.testing import assert_problem

pytestmark = pytest.mark.api

T0 = datetime(2030, 1, 1, tzinfo=UTC)
_offsets = count()


@pytest.fixture(scope="module")
def log(service):
    """Write envelopes into the audit log at fresh offsets of a fake topic (as the worker would)."""
    store = ProjectionStore(service.settings.conninfo(service.settings.database))

    def write(*envelopes: Envelope, topic: str = "bookings.v1") -> None:
        store.apply_batch(service.audit_log, topic, 0, [(next(_offsets), e) for e in envelopes])

    yield write
    store.close()


def event(type_: str, *, minutes: int = 0, actor: str | None = None, aggregate: str | None = None,
          correlation: str | None = None, payload: dict | None = None, version: int = 1) -> Envelope:
    return Envelope(type=type_, aggregate_id=aggregate or str(uuid4()), aggregate_version=version,
                    occurred_at=T0 + timedelta(minutes=minutes), actor_id=actor, correlation_id=correlation,
                    payload=payload or {})


@pytest.fixture(scope="module")
def story(log):
    """One booking's story under one correlation id, plus noise around it."""
    participant, admin, booking = str(uuid4()), str(uuid4()), str(uuid4())
    correlation = f"story-{uuid4().hex[:8]}"
    log(event("BookingRequested", minutes=1, actor=participant, aggregate=booking, correlation=correlation),
        event("BookingConfirmed", minutes=3, actor=participant, aggregate=booking, correlation=correlation,
              version=2))
    log(event("SeatsReserved", minutes=2, actor=participant, correlation=correlation), topic="events.v1")
    log(event("PaymentRefunded", minutes=4, actor=admin, correlation=correlation,
              payload={"amount": "10.00", "provider_secret": "sk_live_x"}), topic="payments.v1")
    log(event("BookingRequested", minutes=5, actor=str(uuid4())))
    return {"participant": participant, "admin": admin, "booking": booking, "correlation": correlation}


def test_an_admin_reads_a_bookings_whole_story_by_correlation_id_newest_first(client, admin, story):
    r = client.get("/api/v1/audit", params={"correlation_id": story["correlation"]}, headers=admin.headers)

    assert r.status_code == 200, r.text
    entries = r.json()
    assert [e["action"] for e in entries] == ["PaymentRefunded", "BookingConfirmed", "SeatsReserved",
                                              "BookingRequested"]
    assert r.headers["X-Total-Count"] == "4"
    refund = entries[0]
    assert refund["actor_id"] == story["admin"] and refund["entity_type"] == "payment"
    assert refund["source"]["topic"] == "payments.v1" and refund["source"]["offset"] >= 0
    assert refund["payload"] == {"amount": "10.00", "_redacted": ["provider_secret"]}
    assert {e["entity_type"] for e in entries} == {"booking", "event", "payment"}


@pytest.mark.parametrize("name, value, expected", [
    ("actor_id", "admin", ["PaymentRefunded"]),
    ("actor_id", "participant", ["BookingConfirmed", "SeatsReserved", "BookingRequested"]),
    ("entity_id", "booking", ["BookingConfirmed", "BookingRequested"]),
    ("action", None, ["SeatsReserved"]),
])
def test_each_filter_narrows_the_story(client, admin, story, name, value, expected):
    params = {"correlation_id": story["correlation"], name: story[value] if value else "SeatsReserved"}
    if name == "entity_id":
        params["entity_type"] = "booking"

    r = client.get("/api/v1/audit", params=params, headers=admin.headers)

    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()] == expected


def test_from_is_inclusive_and_to_exclusive(client, admin, story):
    r = client.get("/api/v1/audit", headers=admin.headers, params={
        "correlation_id": story["correlation"], "from": (T0 + timedelta(minutes=2)).isoformat(),
        "to": (T0 + timedelta(minutes=4)).isoformat()})

    assert [e["action"] for e in r.json()] == ["BookingConfirmed", "SeatsReserved"]


def test_pages_follow_each_other_with_total_and_links(client, admin, story):
    params = {"correlation_id": story["correlation"], "limit": 3}
    first = client.get("/api/v1/audit", params=params, headers=admin.headers)
    second = client.get("/api/v1/audit", params={**params, "offset": 3}, headers=admin.headers)

    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "4"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' in second.headers["Link"]
    assert "correlation_id=" in first.headers["Link"]
    ids = [e["id"] for e in first.json()] + [e["id"] for e in second.json()]
    assert len(ids) == len(set(ids)) == 4


def test_a_redelivered_batch_adds_no_entries(client, admin, service, story):
    again = event("BookingCancelled", minutes=6, correlation=story["correlation"])
    store = ProjectionStore(service.settings.conninfo(service.settings.database))
    try:
        offset = next(_offsets)
        store.apply_batch(service.audit_log, "bookings.v1", 1, [(offset, again)])
        store.apply_batch(service.audit_log, "bookings.v1", 1, [(offset, again)])  # the same offset again
        store.apply_batch(service.audit_log, "bookings.v1", 1, [(next(_offsets), again)])  # re-published
    finally:
        store.close()

    r = client.get("/api/v1/audit", params={"action": "BookingCancelled", "correlation_id": story["correlation"]},
                   headers=admin.headers)
    assert r.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("params", [
    {"actor_id": "not-a-uuid"}, {"entity_type": "spaceship"}, {"action": "Drop Table"}, {"action": "x" * 65},
    {"correlation_id": "a\x00b"}, {"correlation_id": ""}, {"entity_id": "x" * 129}, {"from": "yesterday"},
    {"to": "2030-13-01T00:00:00Z"}, {"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
    {"limit": 0}, {"limit": 101}, {"offset": -1},
])
def test_bad_filter_values_are_422_problems(client, admin, params):
    assert_problem(client.get("/api/v1/audit", params=params, headers=admin.headers), 422)


def test_a_participant_gets_403_and_an_anonymous_caller_401(client, signup):
    participant = signup()

    body = assert_problem(client.get("/api/v1/audit", headers=participant.headers), 403)
    assert "audit:read" in body["detail"]
    assert_problem(client.get("/api/v1/audit"), 401)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_entries_cannot_be_changed_through_the_api(client, admin, story, method):
    entry = client.get("/api/v1/audit", params={"correlation_id": story["correlation"]},
                       headers=admin.headers).json()[0]

    r = client.request(method, "/api/v1/audit", headers=admin.headers, json={})
    assert_problem(r, 405)
    assert "GET" in r.headers["Allow"]
    assert client.request(method, f"/api/v1/audit/{entry['id']}", headers=admin.headers, json={}).status_code in (
        404, 405)
    after = client.get("/api/v1/audit", params={"correlation_id": story["correlation"]},
                       headers=admin.headers).json()[0]
    assert after == entry
