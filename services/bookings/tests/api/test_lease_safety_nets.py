"""The safety nets of seat leases (issue 8): a leased-seat booking ended by a net other than the user's own
cancel still gives its seats back to the event's lease ledger, and a cancelled event's ledger is closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import EventCancelled, SeatsLeased
from spine.testing import fresh_database

from bookings_service import public
from bookings_service.consumers.saga import SagaHandler
from bookings_service.domain.saga_inputs import EventCancelled as HeardEventCancelled
from bookings_service.settings import Settings
from bookings_service.testing import event_created, seat_message
from bookings_service.timers.deadlines import Deadlines

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("bookings_test") as name:
        yield Settings(database=name, seat_leases=True)


def book(client, who, event_id: UUID, seats: int = 1) -> dict:
    response = client.post(URL, json={"event_id": str(event_id), "group_size": seats}, headers=who.headers)
    assert response.status_code == 202, response.text
    return response.json()


def commands_of(app, aggregate_id: UUID) -> list:
    return [
        c for n in app.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
        if n.originator_id == aggregate_id and (c := public.to_seat_command(app.mapper.to_domain_event(n)))]


def leased_event(client, issuer, organizer, catalogue, saga, seats: int) -> UUID:
    """A free event whose ledger holds `seats` leased seats (asked by a first booking, granted by the Event)."""
    created = event_created(organizer=organizer.user_id, capacity=10)
    catalogue(created)
    event_id = UUID(created.payload["event_id"])
    app = client.app.state.container.bookings
    book(client, caller(issuer, "participant"), event_id)  # no lease yet: asks the Event, and asks for a lease
    [ask] = commands_of(app, app.find_ledger(event_id).id)
    saga(seat_message(SeatsLeased(event_id=event_id, lease_id=ask.lease_id, seats=seats, seats_leased=seats,
                                  seats_unallocated=9 - seats), 3))
    return event_id


def test_the_timer_cancelling_a_leased_booking_of_a_cancelled_event_gives_its_seats_back_and_closes_the_ledger(
        client, issuer, organizer, catalogue, saga, view):
    app = client.app.state.container.bookings
    event_id = leased_event(client, issuer, organizer, catalogue, saga, seats=4)
    who = caller(issuer, "participant")
    held = book(client, who, event_id, 2)
    assert held["status"] == "confirmed" and app.find_ledger(event_id).in_use == 2
    view()
    # The catalogue shows the event cancelled, but the saga's cascade never ran (the message was missed).
    catalogue(wrap(EventCancelled(event_id=event_id, cancelled_at=datetime.now(UTC)), aggregate_id=str(event_id),
                   aggregate_version=5))
    container = client.app.state.container
    assert Deadlines(app, container.query, container.rules.current).tick()["cancelled"] >= 1

    assert client.get(f"{URL}{held['id']}", headers=who.headers).json()["status"] == "cancelled"
    ledger = app.find_ledger(event_id)
    assert (ledger.in_use, ledger.leased, ledger.closed) == (0, 0, True)
    back = commands_of(app, ledger.id)[-1]
    assert (type(back).__name__, back.seats, back.reason) == ("ReturnLeasedSeats", 4, "event_cancelled")


def test_the_cascade_whose_ledger_save_lost_a_race_still_gives_the_cancelled_bookings_seats_back(
        client, issuer, organizer, catalogue, saga):
    """The saga saves the ledger on its own after the batch; when the api writer saved it in between, the saga
    re-applies the batch's changes to a fresh load — the seats its cancelled bookings gave back included."""
    app = client.app.state.container.bookings
    event_id = leased_event(client, issuer, organizer, catalogue, saga, seats=4)
    held = book(client, caller(issuer, "participant"), event_id, 2)
    stale = app.find_ledger(event_id)  # what the saga's batch loaded …
    assert book(client, caller(issuer, "participant"), event_id, 1)["status"] == "confirmed"  # … then the writer
    stale.give_back(UUID(held["id"]))  # the cascade cancelled the booking and closed the ledger
    stale.close("event_cancelled")
    container = client.app.state.container
    handler = SagaHandler(app, live_booking_ids=container.query.live_booking_ids, rules=container.rules.current)
    handler._save_ledger(stale, [HeardEventCancelled(event_id=event_id)])

    ledger = app.find_ledger(event_id)
    assert ledger.closed and ledger.holds(UUID(held["id"])) == 0
    assert (ledger.in_use, ledger.leased) == (1, 1)  # only the writer's booking still holds a leased seat
