"""Seats taken by bookings show in every event response, and capacity edits cannot take them away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest

from contracts import wrap
from contracts.events import ReleaseSeats, ReserveSeats
from spine.handlers import HandlerSink
from spine.projector import apply_in_transaction

from events_service import public
from events_service.consumers.seats import SeatsHandler
from events_service.projections.catalogue import CatalogueProjection

pytestmark = pytest.mark.api

URL = "/api/v1/events/"
TOPIC = "events.commands.api-test"
_offsets = count()


def publish(client, who, capacity: int) -> dict:
    payload = {"title": "Book club", "description": "", "duration_minutes": 60, "max_participants": capacity,
               "start_time": (datetime.now(UTC) + timedelta(days=4)).isoformat(), "is_paid": False}
    response = client.post(URL, json=payload, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def send(client, *payloads) -> None:
    """Seat commands, as the worker's consumer hands them to the handler."""
    app = client.app.state.container.events
    sink = HandlerSink(SeatsHandler(app, TOPIC), app)
    batch = [(next(_offsets), wrap(p, aggregate_id=str(p.event_id))) for p in payloads]
    sink.apply(TOPIC, 0, batch)


def reserve(event_id: str, seats: int, booking: UUID | None = None) -> ReserveSeats:
    return ReserveSeats(event_id=UUID(event_id), booking_id=booking or uuid4(), seats=seats, user_id=uuid4())


def test_every_response_shows_the_seats_bookings_hold(client, organizer, feed_catalogue_now):
    event = publish(client, organizer, 10)
    first = uuid4()
    send(client, reserve(event["id"], 3, first), reserve(event["id"], 4))
    single = client.get(f"{URL}{event['id']}").json()
    assert (single["max_participants"], single["seats_available"]) == (10, 3)
    feed_catalogue_now()
    (listed,) = client.get(URL, params={"created_by": str(organizer.user_id)}).json()
    assert listed == single
    send(client, ReleaseSeats(event_id=UUID(event["id"]), booking_id=first, reason="user"))
    feed_catalogue_now()
    (listed,) = client.get(URL, params={"created_by": str(organizer.user_id)}).json()
    assert listed["seats_available"] == 6 == client.get(f"{URL}{event['id']}").json()["seats_available"]


def test_capacity_cannot_drop_below_the_seats_taken(client, organizer, feed_catalogue_now):
    event = publish(client, organizer, 10)
    send(client, reserve(event["id"], 6))
    response = client.patch(f"{URL}{event['id']}", json={"max_participants": 5}, headers=organizer.headers)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/docs/problems#capacity-below-seats-taken"
    assert client.get(f"{URL}{event['id']}").json()["max_participants"] == 10
    full = client.patch(f"{URL}{event['id']}", json={"max_participants": 6}, headers=organizer.headers).json()
    assert (full["max_participants"], full["seats_available"]) == (6, 0)
    feed_catalogue_now()
    sold_out = client.get(URL, params={"created_by": str(organizer.user_id), "has_seats": "false"}).json()
    assert [e["id"] for e in sold_out] == [event["id"]]
    grown = client.patch(f"{URL}{event['id']}", json={"max_participants": 9}, headers=organizer.headers).json()
    assert grown["seats_available"] == 3


def test_the_catalogue_ignores_stale_seat_answers_and_answers_about_unknown_events(client, settings, organizer,
                                                                                  feed_catalogue_now):
    event = publish(client, organizer, 5)
    unknown = str(uuid4())
    send(client, reserve(event["id"], 1), reserve(event["id"], 2), reserve(unknown, 1))
    feed_catalogue_now()
    app = client.app.state.container.events
    stored = list(app.events.get(UUID(event["id"])))
    first_answer = public.to_envelope(stored[1])
    assert (first_answer.type, first_answer.payload["seats_available"]) == ("SeatsReserved", 4)
    # Kafka redelivers an old answer after a newer one: the row keeps the newer count.
    apply_in_transaction(settings.conninfo(settings.database), CatalogueProjection(), [first_answer])
    (listed,) = client.get(URL, params={"created_by": str(organizer.user_id)}).json()
    assert listed["seats_available"] == 2 == client.get(f"{URL}{event['id']}").json()["seats_available"]
    everything = client.get(URL, params={"limit": 100}).json()
    assert unknown not in {e["id"] for e in everything}  # no row was made up for the unknown event
