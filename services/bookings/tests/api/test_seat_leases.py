"""Free bookings confirmed from the event's seat lease (issue 8, setting seat_leases): against the real
event store, with the Event's answers delivered to the saga as the events service would publish them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import (
    EventCancelled,
    LeasedSeatsReturned,
    LeaseRefused,
    SeatsLeased,
    SeatsRejected,
    SeatsReserved,
)
from contracts.users import SettingChanged
from spine.projector import apply_in_transaction
from spine.testing import fresh_database

from bookings_service import public
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.settings import Settings
from bookings_service.testing import event_created, seat_message
from bookings_service.timers.lease_sweep import LeaseSweep

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("bookings_test") as name:
        yield Settings(database=name, seat_leases=True)


@pytest.fixture
def free_event(catalogue, organizer) -> UUID:
    envelope = event_created(organizer=organizer.user_id, capacity=10)
    catalogue(envelope)
    return UUID(envelope.payload["event_id"])


def book(client, issuer, event_id: UUID, seats: int = 1) -> dict:
    response = client.post(URL, json={"event_id": str(event_id), "group_size": seats},
                           headers=caller(issuer, "participant").headers)
    assert response.status_code == 202, response.text
    return response.json()


def commands_of(app, aggregate_id: UUID) -> list:
    """The events.commands.v1 messages the relay publishes for an aggregate's stored events."""
    return [
        c for n in app.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
        if n.originator_id == aggregate_id and (c := public.to_seat_command(app.mapper.to_domain_event(n)))]


def test_the_first_booking_asks_the_event_and_a_lease_then_bookings_are_confirmed_at_once(client, issuer, saga,
                                                                                           free_event):
    app = client.app.state.container.bookings
    first = book(client, issuer, free_event, 2)
    assert first["status"] == "pending"  # no lease yet: the Event is asked as before
    ledger = app.find_ledger(free_event)
    [ask] = commands_of(app, ledger.id)
    assert (type(ask).__name__, ask.seats) == ("RequestSeatLease", 16)

    saga(seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=3, seats_leased=3,
                                  seats_unallocated=5), 3))
    confirmed = book(client, issuer, free_event, 2)
    assert confirmed["status"] == "confirmed"  # in the request's own transaction
    assert book(client, issuer, free_event, 2)["status"] == "pending"  # only 1 seat left in the lease
    ledger = app.find_ledger(free_event)
    assert (ledger.leased, ledger.in_use, ledger.free) == (3, 2, 1)

    # Cancelling a leased-seat booking puts the seats back in the lease (nothing is sent to the Event).
    cancelled = client.post(f"{URL}{confirmed['id']}/cancel", headers=caller(issuer, "admin").headers)
    assert cancelled.status_code == 200, cancelled.text
    assert app.find_ledger(free_event).free == 3
    assert [type(c).__name__ for c in commands_of(app, UUID(confirmed["id"]))] == []


def test_a_lease_answer_heard_twice_counts_once_and_a_refusal_sends_bookings_the_old_way(client, issuer, saga,
                                                                                          free_event):
    app = client.app.state.container.bookings
    book(client, issuer, free_event)
    [ask] = commands_of(app, app.find_ledger(free_event).id)
    granted = seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=1, seats_leased=1,
                                       seats_unallocated=8), 3)
    saga(granted, granted)
    assert app.find_ledger(free_event).leased == 1
    assert book(client, issuer, free_event)["status"] == "confirmed"
    assert book(client, issuer, free_event)["status"] == "pending"  # lease spent: ask the Event, and lease again
    asks = [c for c in commands_of(app, app.find_ledger(free_event).id) if type(c).__name__ == "RequestSeatLease"]
    assert len(asks) == 2 and asks[1].lease_id != ask.lease_id
    saga(seat_message(LeaseRefused(event_id=free_event, lease_id=asks[1].lease_id, seats=16, reason="full"), 5))
    assert book(client, issuer, free_event)["status"] == "pending"


def test_nobody_overtakes_the_line_and_free_leased_seats_go_back_to_the_event_for_it(client, issuer, saga,
                                                                                      free_event):
    app = client.app.state.container.bookings
    big = book(client, issuer, free_event, 3)
    [ask] = commands_of(app, app.find_ledger(free_event).id)
    saga(seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=2, seats_leased=2,
                                  seats_unallocated=0), 3))
    # The Event is full for the group of 3: it waits, and the 2 idle leased seats go back to the Event.
    saga(seat_message(SeatsRejected(event_id=free_event, booking_id=UUID(big["id"]), seats=3, reason="full",
                                    seats_available=0), 4))
    ledger = app.find_ledger(free_event)
    assert (ledger.leased, ledger.free) == (0, 0)
    assert [type(c).__name__ for c in commands_of(app, ledger.id)][-1] == "ReturnLeasedSeats"
    later = book(client, issuer, free_event, 1)
    assert later["status"] == "waitlisted"  # strict order: a later request never takes seats before the line
    saga(seat_message(LeasedSeatsReturned(event_id=free_event, return_id=uuid4(), seats=2, seats_leased=0,
                                          seats_unallocated=2), 5))


def test_the_event_cancelled_cancels_leased_bookings_and_returns_every_leased_seat(client, issuer, saga, view,
                                                                                   free_event):
    app = client.app.state.container.bookings
    book(client, issuer, free_event)
    [ask] = commands_of(app, app.find_ledger(free_event).id)
    saga(seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=4, seats_leased=4,
                                  seats_unallocated=5), 3))
    held = book(client, issuer, free_event, 1)
    assert held["status"] == "confirmed"
    view()
    saga(wrap(EventCancelled(event_id=free_event, reason="rain", cancelled_at="2030-01-01T00:00:00Z"),
              aggregate_id=str(free_event), aggregate_version=4))
    ledger = app.find_ledger(free_event)
    assert ledger.closed and (ledger.leased, ledger.in_use) == (0, 0)
    assert app.get_booking(UUID(held["id"])).status == "cancelled"


def test_the_sweep_asks_an_unanswered_lease_again_with_its_id_and_gives_idle_seats_back(client, issuer, saga,
                                                                                        free_event):
    app = client.app.state.container.bookings
    sweep = LeaseSweep(app, idle_after=timedelta(seconds=30), unanswered_after=timedelta(seconds=30))
    book(client, issuer, free_event)
    ledger_id = app.find_ledger(free_event).id
    [ask] = commands_of(app, ledger_id)
    sweep.tick(datetime.now(UTC))
    assert len(commands_of(app, ledger_id)) == 1  # not yet: the answer may be on its way

    sweep.tick(datetime.now(UTC) + timedelta(seconds=31))  # the request was lost (a crash): the same lease again
    assert [(type(c).__name__, c.lease_id) for c in commands_of(app, ledger_id)] == [
        ("RequestSeatLease", ask.lease_id)] * 2

    saga(seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=5, seats_leased=5,
                                  seats_unallocated=4), 3))
    assert book(client, issuer, free_event, 2)["status"] == "confirmed"
    sweep.tick(datetime.now(UTC) + timedelta(seconds=5))
    assert app.find_ledger(free_event).free == 3  # in use a moment ago: kept
    sweep.tick(datetime.now(UTC) + timedelta(seconds=62))  # idle for 31 s since the lease was (re-)asked at +31
    back = commands_of(app, ledger_id)[-1]
    assert (type(back).__name__, back.seats) == ("ReturnLeasedSeats", 3)
    assert (app.find_ledger(free_event).leased, app.find_ledger(free_event).in_use) == (2, 2)


def test_under_strict_fifo_a_later_small_group_never_takes_leased_seats_before_an_earlier_big_one(
        client, issuer, saga, settings, free_event):
    """The defect the e2e strict crash test found with leases on: group 3 (no room in the lease) asked the
    Event, group 1 behind it was confirmed from the lease's free seats at once, then the Event refused group 3
    (full): the later request had overtaken the earlier one. Under strict_fifo free bookings now take the
    per-booking path, whose saga makes a later request yield its seats while an earlier one waits."""
    app = client.app.state.container.bookings
    rules = client.app.state.container.rules
    rules.refresh_seconds = 0

    def policy(value: str, version: int) -> None:
        apply_in_transaction(settings.conninfo(settings.database), SettingsReplica(), [wrap(
            SettingChanged(key="waitlist_policy", type="string", value=value), aggregate_id="waitlist_policy",
            aggregate_version=version)])

    book(client, issuer, free_event)
    [ask] = commands_of(app, app.find_ledger(free_event).id)
    saga(seat_message(SeatsLeased(event_id=free_event, lease_id=ask.lease_id, seats=2, seats_leased=2,
                                  seats_unallocated=7), 3))
    assert app.find_ledger(free_event).free == 2
    policy("strict_fifo", 1001)
    try:
        assert rules.current().waitlist_policy == "strict_fifo"
        big = book(client, issuer, free_event, 3)
        assert big["status"] == "pending"  # the lease's 2 free seats cannot cover it: the Event is asked
        later = book(client, issuer, free_event, 1)
        assert later["status"] == "pending"  # not confirmed from the lease ahead of the earlier group
        saga(seat_message(SeatsRejected(event_id=free_event, booking_id=UUID(big["id"]), seats=3, reason="full",
                                        seats_available=0), 4),
             seat_message(SeatsReserved(event_id=free_event, booking_id=UUID(later["id"]), seats=1,
                                        seats_available=0), 5))
        line = [app.get_booking(UUID(b["id"])) for b in (big, later)]
        assert [b.status for b in line] == ["waitlisted", "waitlisted"]  # the later one yielded its seat
        assert [app.waitlist_position(b) for b in line] == [1, 2]
        assert app.find_ledger(free_event).free == 0  # the idle leased seats went back to the Event for the line
    finally:
        policy("first_fit_fair", 1002)
