"""Nobody sees or marks another user's notifications or calendar files (404); preferences refuse turning off
transactional categories and bad input with a 422 problem, and change nothing then."""

from __future__ import annotations

from uuid import uuid4

import pytest

from notifications_service.testing import Story, assert_problem, feed

pytestmark = pytest.mark.api

URL = "/api/v1/notifications/"


@pytest.fixture
def delivered(client, settings, deliver, participant) -> Story:
    story = Story(participant.user_id)
    feed(settings.conninfo(settings.database), story.booked())
    deliver()
    return story


def test_another_users_notification_is_404_to_read_and_absent_from_their_list(client, delivered, participant,
                                                                               other_participant, admin):
    mine = client.get(URL, headers=participant.headers).json()
    assert mine
    assert client.get(URL, headers=other_participant.headers).json() == []
    for who in (other_participant, admin):
        assert_problem(client.post(f"{URL}{mine[0]['id']}/read", headers=who.headers), 404)
    assert client.get(URL, params={"unread": "true"}, headers=participant.headers).headers["X-Total-Count"] == str(
        len(mine))


def test_marking_read_moves_it_out_of_unread(client, delivered, participant):
    first = client.get(URL, headers=participant.headers).json()[0]
    r = client.post(f"{URL}{first['id']}/read", headers=participant.headers)
    assert r.status_code == 200 and r.json()["read"] is True and r.json()["read_at"]
    again = client.post(f"{URL}{first['id']}/read", headers=participant.headers)
    assert again.json()["read_at"] == r.json()["read_at"]
    unread = client.get(URL, params={"unread": "true"}, headers=participant.headers).json()
    read = client.get(URL, params={"unread": "false"}, headers=participant.headers).json()
    assert first["id"] not in {n["id"] for n in unread} and [n["id"] for n in read] == [first["id"]]


def test_pagination_headers(client, delivered, participant):
    r = client.get(URL, params={"limit": 1}, headers=participant.headers)
    assert len(r.json()) == 1 and int(r.headers["X-Total-Count"]) == 4 and 'rel="next"' in r.headers["Link"]


def test_a_calendar_file_is_only_for_the_bookings_owner(client, delivered, participant, other_participant, admin):
    path = f"/api/v1/bookings/{delivered.booking_id}/calendar.ics"
    assert client.get(path, headers=participant.headers).status_code == 200
    for who in (other_participant, admin):
        assert_problem(client.get(path, headers=who.headers), 404)
    assert_problem(client.get(f"/api/v1/bookings/{uuid4()}/calendar.ics", headers=participant.headers), 404)
    assert_problem(client.get(path), 401)
    assert_problem(client.get("/api/v1/bookings/not-an-id/calendar.ics", headers=participant.headers), 422)


def test_a_waitlisted_booking_has_no_calendar_file_yet(client, settings, participant):
    story = Story(participant.user_id)
    feed(settings.conninfo(settings.database), [story.registered(), story.event_created(), story.requested(),
                                                story.waitlisted(2)])
    assert_problem(client.get(f"/api/v1/bookings/{story.booking_id}/calendar.ics", headers=participant.headers), 409)


def test_preferences_default_to_everything_on_and_optional_ones_can_be_turned_off(client, participant):
    r = client.get(f"{URL}preferences", headers=participant.headers)
    assert r.json() == {"account": True, "booking": True, "payment": True, "mailings": True, "reviews": True,
                        "support": True}
    r = client.put(f"{URL}preferences", json={"mailings": False, "booking": True}, headers=participant.headers)
    assert r.status_code == 200 and r.json()["mailings"] is False and r.json()["reviews"] is True
    assert client.get(f"{URL}preferences", headers=participant.headers).json()["mailings"] is False
    client.put(f"{URL}preferences", json={"mailings": True}, headers=participant.headers)
    assert client.get(f"{URL}preferences", headers=participant.headers).json()["mailings"] is True


@pytest.mark.parametrize("body", [{"booking": False}, {"payment": False, "mailings": False}, {"account": False},
                                  {"newsletter": False}, {"mailings": "maybe"}, {"mailings": [False]}, [], "x"])
def test_bad_preferences_are_422_and_change_nothing(client, participant, body):
    before = client.get(f"{URL}preferences", headers=participant.headers).json()
    assert_problem(client.put(f"{URL}preferences", json=body, headers=participant.headers), 422)
    assert client.get(f"{URL}preferences", headers=participant.headers).json() == before


def test_preferences_need_a_signed_in_user(client):
    assert_problem(client.get(f"{URL}preferences"), 401)
    assert_problem(client.put(f"{URL}preferences", json={"mailings": False}), 401)
