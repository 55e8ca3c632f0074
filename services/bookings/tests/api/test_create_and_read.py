"""POST /api/v1/bookings/ and GET /api/v1/bookings/{id}: booking, validation against the catalogue replica,
idempotency, and who may read a booking."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import psycopg
import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import EventCancelled, SeatsReserved
from webkit.testing import assert_problem as problem

from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def count_bookings(settings) -> int:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute("SELECT count(*) FROM bookings_events WHERE topic LIKE %s",
                            ("%Booking.Requested",)).fetchone()[0]


@pytest.fixture
def free_event(catalogue, organizer):
    envelope = event_created(organizer=organizer.user_id, capacity=5)
    catalogue(envelope)
    return envelope.payload


@pytest.fixture
def paid_event(catalogue, organizer):
    envelope = event_created(organizer=organizer.user_id, is_paid=True, price="20.00", currency="EUR",
                             methods=("sandbox", "cash"), capacity=5)
    catalogue(envelope)
    return envelope.payload


def test_booking_a_free_event_is_accepted_pending(client, participant, free_event):
    response = client.post(URL, json={"event_id": free_event["event_id"], "group_size": 2},
                           headers=participant.headers)
    assert response.status_code == 202, response.text
    booking = response.json()
    assert booking["status"] == "pending" and booking["group_size"] == 2
    assert booking["user_id"] == str(participant.user_id) and booking["amount"] is None
    assert response.headers["Location"] == f"{URL}{booking['id']}"
    assert client.get(f"{URL}{booking['id']}", headers=participant.headers).json() == booking


def test_booking_a_paid_event_shows_amount_then_payment_and_deadline_once_seats_are_held(
        client, participant, paid_event, saga):
    booking = client.post(URL, json={"event_id": paid_event["event_id"], "group_size": 3,
                                     "payment_method": "sandbox"}, headers=participant.headers).json()
    assert (booking["amount"], booking["currency"], booking["payment_id"]) == ("60.00", "EUR", None)
    saga(seat_message(SeatsReserved(event_id=paid_event["event_id"], booking_id=booking["id"], seats=3,
                                    seats_available=2), version=2))
    held = client.get(f"{URL}{booking['id']}", headers=participant.headers).json()
    assert held["status"] == "awaiting_payment" and held["payment_id"] and held["expires_at"]


def test_the_same_idempotency_key_gives_one_booking(client, settings, participant, free_event):
    before = count_bookings(settings)
    headers = {**participant.headers, "Idempotency-Key": str(uuid4())}
    body = {"event_id": free_event["event_id"], "group_size": 1}
    first = client.post(URL, json=body, headers=headers)
    second = client.post(URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert count_bookings(settings) == before + 1
    problem(client.post(URL, json={**body, "group_size": 2}, headers=headers), 422)


def test_the_same_key_with_a_refreshed_token_of_the_same_user_replays(client, settings, issuer, free_event):
    """Keys belong to the user, not to one token string: after a refresh the retry still finds its booking,
    while someone else using the same key gets their own."""
    user = caller(issuer, "participant")
    refreshed = {"Authorization": f"Bearer {issuer.token(user_id=user.user_id, role='participant')}"}
    assert refreshed != user.headers
    key = {"Idempotency-Key": str(uuid4())}
    body = {"event_id": free_event["event_id"], "group_size": 1}
    before = count_bookings(settings)
    first = client.post(URL, json=body, headers={**user.headers, **key})
    again = client.post(URL, json=body, headers={**refreshed, **key})
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    stranger = client.post(URL, json=body, headers={**caller(issuer, "participant").headers, **key})
    assert stranger.status_code == 202 and "Idempotent-Replayed" not in stranger.headers
    assert count_bookings(settings) == before + 2


def test_an_unknown_event_is_404_and_nothing_is_stored(client, settings, participant):
    before = count_bookings(settings)
    body = problem(client.post(URL, json={"event_id": str(uuid4()), "group_size": 1}, headers=participant.headers),
                   404)
    assert body["type"] == "/docs/problems#event-not-found"
    assert count_bookings(settings) == before


def test_past_and_cancelled_events_are_409(client, catalogue, organizer, participant):
    past = event_created(organizer=organizer.user_id, starts_in=-timedelta(hours=1))
    cancelled = event_created(organizer=organizer.user_id)
    event_id = cancelled.payload["event_id"]
    catalogue(past, cancelled, wrap(EventCancelled(event_id=event_id, cancelled_at=past.occurred_at),
                                    aggregate_id=event_id, aggregate_version=2))
    assert problem(client.post(URL, json={"event_id": past.payload["event_id"]}, headers=participant.headers),
                   409)["type"] == "/docs/problems#event-already-started"
    assert problem(client.post(URL, json={"event_id": event_id}, headers=participant.headers),
                   409)["type"] == "/docs/problems#event-is-cancelled"


@pytest.mark.parametrize("group_size", [0, -2, 11])
def test_group_size_out_of_range_is_422(client, participant, free_event, group_size):
    problem(client.post(URL, json={"event_id": free_event["event_id"], "group_size": group_size},
                        headers=participant.headers), 422)


def test_group_larger_than_the_event_is_422(client, participant, free_event):
    body = problem(client.post(URL, json={"event_id": free_event["event_id"], "group_size": 6},
                               headers=participant.headers), 422)
    assert body["type"] == "/docs/problems#group-size-out-of-range"


@pytest.mark.parametrize("method", [None, "card", "bitcoin"])
def test_payment_method_not_allowed_for_the_event_is_422(client, participant, paid_event, method):
    body = problem(client.post(URL, json={"event_id": paid_event["event_id"], "payment_method": method},
                               headers=participant.headers), 422)
    assert body["type"] == "/docs/problems#payment-method-not-allowed"


def test_malformed_requests_are_422_and_no_token_is_401(client, participant, free_event):
    problem(client.post(URL, json={"event_id": "nope"}, headers=participant.headers), 422)
    problem(client.post(URL, json={"event_id": free_event["event_id"], "extra": 1}, headers=participant.headers), 422)
    problem(client.post(URL, json={"event_id": free_event["event_id"]}), 401)
    problem(client.get(f"{URL}{uuid4()}"), 401)


def test_who_may_read_a_booking(client, participant, someone, organizer, support, admin, free_event, issuer):
    booking = client.post(URL, json={"event_id": free_event["event_id"]}, headers=participant.headers).json()
    path = f"{URL}{booking['id']}"
    for reader in (participant, organizer, support, admin):
        assert client.get(path, headers=reader.headers).status_code == 200, reader.role
    assert problem(client.get(path, headers=someone.headers), 403)["type"] == "/docs/problems#not-booking-owner"
    problem(client.get(path, headers=caller(issuer, "organizer").headers), 403)  # another event's organizer
    missing = problem(client.get(f"{URL}{uuid4()}", headers=participant.headers), 404)
    assert missing["type"] == "/docs/problems#booking-not-found"
    problem(client.get(f"{URL}not-a-uuid", headers=participant.headers), 422)
