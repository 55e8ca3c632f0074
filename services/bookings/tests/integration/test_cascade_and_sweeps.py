"""Event cancellation cascades to every live booking; the worker's timer expires lapsed holds, cancels
stragglers of cancelled events and nudges idle waitlists; a long waitlist survives snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import EventCancelled, SeatsRejected, SeatsReleased, SeatsReserved
from contracts.payments import PaymentSucceeded

from bookings_service.domain import BookingRules, EventTerms, Waitlist
from bookings_service.testing import event_created, seat_message
from bookings_service.timers.deadlines import Deadlines

pytestmark = pytest.mark.integration

URL = "/api/v1/bookings/"


def book(client, who, event_id, **extra) -> dict:
    response = client.post(URL, json={"event_id": event_id, **extra}, headers=who.headers)
    assert response.status_code == 202, response.text
    return response.json()


def status(client, who, booking) -> dict:
    return client.get(f"{URL}{booking['id']}", headers=who.headers).json()


@pytest.fixture
def deadlines(client):
    container = client.app.state.container
    return Deadlines(container.bookings, container.query, container.rules.current)


def test_cancelling_an_event_cancels_and_refunds_every_live_booking(client, issuer, organizer, catalogue, saga, view):
    created = event_created(organizer=organizer.user_id, is_paid=True, price="10", currency="EUR",
                            methods=("sandbox",), capacity=1)
    event_id = created.payload["event_id"]
    catalogue(created)
    payer, waiter = caller(issuer, "participant"), caller(issuer, "participant")
    paid, waiting = book(client, payer, event_id, payment_method="sandbox"), book(
        client, waiter, event_id, payment_method="sandbox")
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=paid["id"], seats=1, seats_available=0), 2),
         seat_message(SeatsRejected(event_id=event_id, booking_id=waiting["id"], seats=1, reason="full",
                                    seats_available=0), 3))
    payment_id = status(client, payer, paid)["payment_id"]
    saga(wrap(PaymentSucceeded(payment_id=payment_id, booking_id=paid["id"], user_id=payer.user_id, amount="10",
                               currency="EUR"), aggregate_id=payment_id, aggregate_version=2))
    view()
    cancelled = wrap(EventCancelled(event_id=event_id, cancelled_at=datetime.now(UTC)), aggregate_id=event_id,
                     aggregate_version=4)
    saga(cancelled, cancelled)
    assert status(client, payer, paid)["status"] == status(client, waiter, waiting)["status"] == "cancelled"
    app = client.app.state.container.bookings
    booking = app.get_booking(paid["id"])
    assert booking.reason == "event_cancelled" and booking.refunds_requested == [booking.paid_payment_id]


def test_the_timer_cancels_bookings_the_cascade_missed(client, issuer, organizer, catalogue, view, deadlines):
    created = event_created(organizer=organizer.user_id)
    event_id = created.payload["event_id"]
    catalogue(created)
    who = caller(issuer, "participant")
    straggler = book(client, who, event_id)
    view()
    catalogue(wrap(EventCancelled(event_id=event_id, cancelled_at=datetime.now(UTC)), aggregate_id=event_id,
                   aggregate_version=2))
    assert deadlines.tick()["cancelled"] >= 1
    assert status(client, who, straggler)["status"] == "cancelled"
    view()
    assert deadlines.tick()["cancelled"] == 0


def test_the_timer_expires_only_lapsed_holds(client, issuer, organizer, catalogue, saga, view, deadlines):
    created = event_created(organizer=organizer.user_id, is_paid=True, price="5", currency="EUR",
                            methods=("cash",), capacity=3)
    event_id = created.payload["event_id"]
    catalogue(created)
    who = caller(issuer, "participant")
    held = book(client, who, event_id, payment_method="cash")
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=held["id"], seats=1, seats_available=2), 2))
    view()
    deadline = datetime.fromisoformat(status(client, who, held)["expires_at"])
    assert deadlines.expire_holds(deadline - timedelta(seconds=1)) == 0
    assert deadlines.expire_holds(deadline + timedelta(seconds=1)) == 1
    assert status(client, who, held)["status"] == "expired"
    assert deadlines.expire_holds(deadline + timedelta(seconds=2)) == 0  # view still says awaiting: re-checked


def test_an_idle_line_with_free_seats_is_promoted_by_the_timer(client, issuer, organizer, catalogue, saga, view,
                                                               deadlines):
    created = event_created(organizer=organizer.user_id, capacity=2)
    event_id = created.payload["event_id"]
    catalogue(created)
    big, small = caller(issuer, "participant"), caller(issuer, "participant")
    first = book(client, big, event_id, group_size=2)
    saga(seat_message(SeatsRejected(event_id=event_id, booking_id=first["id"], seats=2, reason="full",
                                    seats_available=1), 2))
    second = book(client, small, event_id)  # joins the line behind the big group
    assert status(client, small, second)["waitlist_position"] == 2
    view()
    catalogue(seat_message(SeatsReleased(event_id=event_id, booking_id=uuid4(), seats=1, seats_available=1), 3))
    assert deadlines.tick()["promoted"] == 1
    assert status(client, small, second)["status"] == "pending"
    assert status(client, big, first)["status"] == "waitlisted"
    assert deadlines.tick()["promoted"] == 0  # in flight: wait for the answer


def test_a_long_waitlist_is_snapshotted_and_reloads_in_order(client):
    app = client.app.state.container.bookings
    terms = EventTerms(event_id=uuid4(), created_by=uuid4(), start_time=datetime.now(UTC) + timedelta(days=1),
                       status="scheduled", is_paid=False, price=None, currency=None, allowed_payment_methods=(),
                       max_participants=1, seats_available=0)
    head = uuid4()
    waitlist = Waitlist(event_id=terms.event_id)
    waitlist.join(head, 1)
    app.save(waitlist)
    later = [app.request_booking(booking_id=uuid4(), user_id=uuid4(), terms=terms, rules=BookingRules(),
                                 group_size=1, payment_method=None) for _ in range(60)]
    assert [(b.status, b.waitlisted_position) for b in later[:2]] == [("waitlisted", 2), ("waitlisted", 3)]
    assert list(app.snapshots.get(waitlist.id))  # type: ignore[union-attr]
    fresh = type(app)(env=app.env)  # no cache: loads from the snapshot plus the events after it
    try:
        reloaded = fresh.find_waitlist(terms.event_id)
        assert reloaded.booking_ids() == [head, *[b.id for b in later]]
        assert reloaded.position_of(later[-1].id) == 61
    finally:
        fresh.close()
