"""An organizer's first event, end to end: register, get promoted by the admin, publish, find it in the catalogue.

Everything goes through the gateway, so it also proves the routing, the JWKS hand-off from users to events,
and the events relay → Kafka → catalogue projection path.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(gateway: httpx.Client, email: str, password: str) -> str:
    r = gateway.post("/api/v1/users/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def register(gateway: httpx.Client, name: str) -> tuple[str, str]:
    """A new participant with a unique e-mail (the test database outlives a single run); returns (id, email)."""
    email = f"e2e-{uuid4().hex[:12]}@example.com"
    r = gateway.post("/api/v1/users/", json={"email": email, "full_name": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "participant"
    return r.json()["id"], email


def new_event(title: str, seats: int = 25) -> dict:
    start = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    return {"title": title, "description": "Lightning talks and pizza.", "start_time": start.isoformat(),
            "duration_minutes": 120, "max_participants": seats, "is_paid": False, "tags": ["e2e", "python"]}


def admin_token(gateway: httpx.Client) -> str:
    return login(gateway, os.environ.get("ADMIN_EMAIL", "admin@example.com"),
                 os.environ.get("ADMIN_PASSWORD", "admin-change-me"))


def test_organizer_publishes_an_event_that_appears_in_the_catalogue(gateway):
    user_id, email = register(gateway, "Olga Organizer")
    participant = login(gateway, email, PASSWORD)
    title = f"E2E meetup {uuid4().hex[:8]}"

    refused = gateway.post("/api/v1/events/", json=new_event(title), headers=bearer(participant))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")

    promoted = gateway.put(f"/api/v1/users/{user_id}/role", json={"role": "organizer"},
                           headers=bearer(admin_token(gateway)))
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "organizer"

    organizer = login(gateway, email, PASSWORD)  # a fresh token carries the new role's permissions
    created = gateway.post("/api/v1/events/", json=new_event(title, seats=25), headers=bearer(organizer))
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["title"] == title and event["seats_available"] == 25

    deadline = time.monotonic() + 5
    listed: list[dict] = []
    while time.monotonic() < deadline:
        r = gateway.get("/api/v1/events/", params={"created_by": user_id})
        assert r.status_code == 200
        listed = [e for e in r.json() if e["id"] == event["id"]]
        if listed:
            break
        time.sleep(0.2)
    assert listed, "the new event did not reach the catalogue within 5 s"
    assert listed[0]["seats_available"] == 25
    assert listed[0]["title"] == title

    one = gateway.get(f"/api/v1/events/{event['id']}")
    assert one.status_code == 200 and one.json()["seats_available"] == 25


def test_publishing_needs_a_valid_token(gateway):
    anonymous = gateway.post("/api/v1/events/", json=new_event("No token"))
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].lower().startswith("bearer")
    forged = gateway.post("/api/v1/events/", json=new_event("Forged"), headers=bearer("not-a-jwt"))
    assert forged.status_code == 401


def test_only_an_admin_can_promote(gateway):
    user_id, email = register(gateway, "Pavel Participant")
    r = gateway.put(f"/api/v1/users/{user_id}/role", json={"role": "admin"},
                    headers=bearer(login(gateway, email, PASSWORD)))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_duplicate_registration_and_wrong_password_are_refused(gateway):
    _, email = register(gateway, "Dora Duplicate")
    again = gateway.post("/api/v1/users/", json={"email": email, "full_name": "Dora", "password": PASSWORD})
    assert again.status_code == 409
    wrong = gateway.post("/api/v1/users/login", json={"email": email, "password": "not the password"})
    assert wrong.status_code == 401
    assert "access_token" not in wrong.text


def test_correlation_id_travels_through_the_gateway(gateway):
    r = gateway.get("/api/v1/events/", headers={"X-Correlation-ID": "e2e-trace-1"})
    assert r.status_code == 200
    assert r.headers.get_list("X-Correlation-ID") == ["e2e-trace-1"]
