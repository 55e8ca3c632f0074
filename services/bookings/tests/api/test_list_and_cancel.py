"""GET /api/v1/bookings/ (own; an event's bookings for its organizer and staff; waitlist in queue order)
and POST /api/v1/bookings/{id}/cancel (owner or admin; leaves the waitlist)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from authkit.testing import caller
from contracts.events import SeatsRejected, SeatsReserved
from webkit.testing import assert_problem as problem

from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


@pytest.fixture
def event(catalogue, organizer):
    envelope = event_created(organizer=organizer.user_id, capacity=3)
    catalogue(envelope)
    return envelope.payload["event_id"]


def book(client, who, event_id, group_size=1) -> dict:
    response = client.post(URL, json={"event_id": event_id, "group_size": group_size}, headers=who.headers)
    assert response.status_code == 202, response.text
    return response.json()


def test_lists_show_own_bookings_with_paging_headers(client, issuer, event, view):
    me = caller(issuer, "participant")
    mine = [book(client, me, event) for _ in range(3)]
    book(client, caller(issuer, "participant"), event)
    view()
    response = client.get(URL, params={"limit": 2}, headers=me.headers)
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3" and 'rel="next"' in response.headers["Link"]
    rest = client.get(URL, params={"limit": 2, "offset": 2}, headers=me.headers).json()
    assert [b["id"] for b in response.json() + rest] == [b["id"] for b in mine]
    assert client.get(URL, params={"status": "confirmed"}, headers=me.headers).json() == []
    problem(client.get(URL, params={"status": "sleeping"}, headers=me.headers), 422)
    problem(client.get(URL, params={"limit": 0}, headers=me.headers), 422)


def test_an_events_bookings_are_for_its_organizer_and_staff_waitlisted_in_queue_order(
        client, issuer, organizer, support, event, saga, view):
    people = [caller(issuer, "participant") for _ in range(4)]
    bookings = [book(client, p, event, group_size=size) for p, size in zip(people, (2, 1, 2, 1), strict=True)]
    saga(seat_message(SeatsReserved(event_id=event, booking_id=bookings[0]["id"], seats=2, seats_available=1), 2),
         seat_message(SeatsReserved(event_id=event, booking_id=bookings[1]["id"], seats=1, seats_available=0), 3),
         seat_message(SeatsRejected(event_id=event, booking_id=bookings[2]["id"], seats=2, reason="full",
                                    seats_available=0), 4),
         seat_message(SeatsRejected(event_id=event, booking_id=bookings[3]["id"], seats=1, reason="full",
                                    seats_available=0), 5))
    late = book(client, caller(issuer, "participant"), event)  # people wait: straight to the line
    assert (late["status"], late["waitlist_position"]) == ("waitlisted", 3)
    view()
    listed = client.get(URL, params={"event_id": event}, headers=organizer.headers).json()
    assert [(b["status"], b["waitlist_position"]) for b in listed] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2), ("waitlisted", 3)]
    assert [b["id"] for b in listed[2:]] == [bookings[2]["id"], bookings[3]["id"], late["id"]]
    waiting = client.get(URL, params={"event_id": event, "status": "waitlisted"}, headers=support.headers).json()
    assert [b["waitlist_position"] for b in waiting] == [1, 2, 3]
    single = client.get(f"{URL}{bookings[3]['id']}", headers=people[3].headers).json()
    assert single["waitlist_position"] == 2

    # Leaving the line moves everyone behind up.
    cancelled = client.post(f"{URL}{bookings[2]['id']}/cancel", headers=people[2].headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["reason"] == "left_waitlist"
    view()
    waiting = client.get(URL, params={"event_id": event, "status": "waitlisted"}, headers=organizer.headers).json()
    assert [(b["id"], b["waitlist_position"]) for b in waiting] == [(bookings[3]["id"], 1), (late["id"], 2)]

    # Anyone else filtering by the event sees only their own bookings of it (not a 403).
    own = client.get(URL, params={"event_id": event}, headers=people[0].headers)
    assert own.status_code == 200 and [b["id"] for b in own.json()] == [bookings[0]["id"]]
    assert own.headers["X-Total-Count"] == "1"
    stranger = client.get(URL, params={"event_id": event}, headers=caller(issuer, "organizer").headers)
    assert stranger.status_code == 200 and stranger.json() == []
    assert client.get(URL, params={"event_id": event, "status": "waitlisted"}, headers=people[0].headers).json() == []


def test_cancel_by_owner_then_again_is_409(client, participant, event):
    booking = book(client, participant, event)
    response = client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert problem(client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers),
                   409)["type"] == "/docs/problems#booking-already-cancelled"


def test_cancel_of_someone_elses_booking_is_403_and_changes_nothing(client, participant, someone, organizer, event):
    booking = book(client, participant, event)
    for stranger in (someone, organizer):
        assert problem(client.post(f"{URL}{booking['id']}/cancel", headers=stranger.headers),
                       403)["type"] == "/docs/problems#not-booking-owner"
    assert client.get(f"{URL}{booking['id']}", headers=participant.headers).json()["status"] == "pending"


def test_an_admin_may_cancel_any_booking(client, participant, admin, event):
    booking = book(client, participant, event)
    assert client.post(f"{URL}{booking['id']}/cancel", headers=admin.headers).json()["status"] == "cancelled"


def test_cancelling_others_bookings_follows_the_permission_not_the_role_name(client, issuer, participant, event):
    booking = book(client, participant, event)
    # An "admin" whose role was redefined without bookings:manage_any is refused...
    stripped = {"Authorization": f"Bearer {issuer.token(role='admin', permissions=['bookings:read_all'])}"}
    refused = problem(client.post(f"{URL}{booking['id']}/cancel", headers=stripped), 403)
    assert refused["type"] == "/docs/problems#not-booking-owner"
    # ...and a custom role holding it may cancel.
    desk = {"Authorization": f"Bearer {issuer.token(role='box-office', permissions=['bookings:manage_any'])}"}
    assert client.post(f"{URL}{booking['id']}/cancel", headers=desk).json()["status"] == "cancelled"


def test_cancel_of_a_rejected_booking_or_an_unknown_one(client, participant, event, saga):
    booking = book(client, participant, event)
    saga(seat_message(SeatsRejected(event_id=event, booking_id=booking["id"], seats=1, reason="not_bookable",
                                    seats_available=0), 50))
    assert problem(client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers),
                   409)["type"] == "/docs/problems#booking-not-cancellable"
    problem(client.post(f"{URL}{uuid4()}/cancel", headers=participant.headers), 404)
    problem(client.post(f"{URL}{booking['id']}/cancel"), 401)
