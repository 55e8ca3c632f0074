"""/api/v1/mailings: who may address whom, the audience count, schedule rules, cancel, list and read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy.dialects.postgresql import insert

from notifications_service.storage.preferences import preferences
from notifications_service.storage.sql import run
from notifications_service.testing import assert_problem
from notifications_service.testing_comms import World

pytestmark = pytest.mark.api

URL = "/api/v1/mailings/"


@pytest.fixture(scope="module")
def world(settings, client) -> World:
    return World(settings.conninfo(settings.database))


def body(**overrides):
    return {"title": "See you Friday", "content": "Doors open at 18:00.", "filters": {}, **overrides}


def opt_out(world: World, user_id, category="mailings"):
    import psycopg
    with psycopg.connect(world.conninfo) as conn:
        run(conn, insert(preferences).values(user_id=user_id, category=category).on_conflict_do_nothing())


@pytest.fixture
def event_with_people(world, organizer):
    """An organizer's event: 3 confirmed, 1 cancelled, 1 pending, 1 confirmed but opted out."""
    event_id = world.event(organizer.user_id)
    confirmed = [world.user() for _ in range(3)]
    for user_id in confirmed:
        world.booking(user_id, event_id, "confirmed")
    world.booking(world.user(), event_id, "cancelled")
    world.booking(world.user(), event_id, "pending")
    opted = world.user()
    world.booking(opted, event_id, "confirmed")
    opt_out(world, opted)
    return event_id, confirmed


def test_preview_counts_confirmed_attendees_without_cancelled_or_opted_out(client, admin, event_with_people):
    event_id, confirmed = event_with_people
    r = client.post(URL + "preview", headers=admin.headers,
                    json=body(filters={"event_id": str(event_id), "booking_status": "confirmed"}))
    assert r.status_code == 200, r.text
    assert r.json() == {"audience": len(confirmed)}
    # Any booking status: the cancelled and pending bookers too, still not the opted-out one.
    r = client.post(URL + "preview", headers=admin.headers, json=body(filters={"event_id": str(event_id)}))
    assert r.json() == {"audience": 5}


def test_organizer_may_write_to_their_own_events_bookers(client, organizer, event_with_people):
    event_id, confirmed = event_with_people
    r = client.post(URL, headers=organizer.headers,
                    json=body(filters={"event_id": str(event_id), "booking_status": "confirmed"}))
    assert r.status_code == 201, r.text
    mailing = r.json()
    assert mailing["status"] == "scheduled" and mailing["audience"] == len(confirmed)
    assert r.headers["Location"] == f"{URL}{mailing['id']}"


def test_organizer_gets_403_for_anything_wider(client, organizer, world, issuer):
    from authkit.testing import caller
    r = client.post(URL, headers=organizer.headers, json=body())
    assert_problem(r, 403)
    assert_problem(client.post(URL, headers=organizer.headers, json=body(filters={"role": "participant"})), 403)
    others_event = world.event(caller(issuer, "organizer").user_id)
    assert_problem(client.post(URL, headers=organizer.headers, json=body(filters={"event_id": str(others_event)})),
                   403)
    assert_problem(client.post(URL + "preview", headers=organizer.headers,
                               json=body(filters={"event_id": str(uuid4())})), 403)


def test_participants_and_support_may_not_send_mailings(client, participant, support):
    for who in (participant, support):
        assert_problem(client.post(URL, headers=who.headers, json=body()), 403)
        assert_problem(client.get(URL, headers=who.headers), 403)
    assert_problem(client.post(URL, json=body()), 401)


@pytest.mark.parametrize("bad", [
    body(filters={"city": "Berlin"}),                       # unknown filter field
    body(filters={"booking_status": "lost"}),
    body(title=""), body(content=""), body(content="x" * 20_001),
    body(scheduled_at="2020-01-01T00:00:00Z"),              # in the past
    body(surprise=True),
])
def test_bad_input_is_a_422_problem_and_stores_nothing(client, admin, bad):
    before = client.get(URL, headers=admin.headers).headers["X-Total-Count"]
    assert_problem(client.post(URL, headers=admin.headers, json=bad), 422)
    assert_problem(client.post(URL + "preview", headers=admin.headers, json=bad), 422)
    assert client.get(URL, headers=admin.headers).headers["X-Total-Count"] == before


def test_a_scheduled_mailing_can_be_cancelled_once(client, admin):
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    created = client.post(URL, headers=admin.headers, json=body(scheduled_at=later)).json()
    r = client.post(f"{URL}{created['id']}/cancel", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert_problem(client.post(f"{URL}{created['id']}/cancel", headers=admin.headers), 409)
    assert client.get(f"{URL}{created['id']}", headers=admin.headers).json()["status"] == "cancelled"


def test_organizers_see_their_own_mailings_admins_all(client, admin, organizer, issuer, world):
    from authkit.testing import caller
    mine = client.post(URL, headers=organizer.headers,
                       json=body(filters={"event_id": str(world.event(organizer.user_id))})).json()
    other = caller(issuer, "organizer")
    assert_problem(client.get(f"{URL}{mine['id']}", headers=other.headers), 404)
    assert_problem(client.post(f"{URL}{mine['id']}/cancel", headers=other.headers), 404)
    assert [m["id"] for m in client.get(URL, headers=organizer.headers).json()] == [mine["id"]]
    assert mine["id"] in [m["id"] for m in client.get(URL, headers=admin.headers, params={"limit": 100}).json()]
    got = client.get(f"{URL}{mine['id']}", headers=admin.headers).json()
    assert {k: got[k] for k in ("audience", "sent", "failed", "pending")} == \
        {"audience": 0, "sent": 0, "failed": 0, "pending": 0}


def test_unknown_mailing_is_404(client, admin):
    assert_problem(client.get(f"{URL}{uuid4()}", headers=admin.headers), 404)


def test_unsubscribe_with_a_forged_token_is_400(client):
    assert_problem(client.post("/api/v1/notifications/unsubscribe", params={"token": "abc.def"}), 400)
