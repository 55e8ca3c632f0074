"""A late payer's booking asks for seats again: the list shows it pending, and the sweeper re-drives it if the
Event's answer is lost (it used to stay `expired` in the view, out of the sweeper's sight)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from contracts import wrap
from contracts.events import ReserveSeats, SeatsReserved
from contracts.payments import PaymentSucceeded

from bookings_service import public
from bookings_service.testing import event_created, seat_message
from bookings_service.timers.deadlines import Deadlines

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def test_a_late_payment_shows_pending_and_is_re_driven_when_the_answer_is_lost(
        client, catalogue, organizer, participant, saga, view):
    created = event_created(organizer=organizer.user_id, is_paid=True, price="25.00", currency="EUR",
                            methods=("sandbox",))
    catalogue(created)
    event_id = created.payload["event_id"]
    booking = client.post(URL, json={"event_id": event_id, "group_size": 1, "payment_method": "sandbox"},
                          headers=participant.headers).json()
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=booking["id"], seats=1, seats_available=9), 2))
    held = client.get(f"{URL}{booking['id']}", headers=participant.headers).json()
    container = client.app.state.container
    later = datetime.now(UTC) + timedelta(days=1)
    assert container.bookings.expire_hold(booking["id"], later)  # the hold lapses unpaid

    # The money arrives after all: the booking asks the Event for seats again (its answer will be lost).
    saga(wrap(PaymentSucceeded(payment_id=held["payment_id"], booking_id=booking["id"], user_id=participant.user_id,
                               amount=Decimal(held["amount"]), currency="EUR"),
              aggregate_id=held["payment_id"], aggregate_version=2))
    view()
    listed = client.get(URL, headers=participant.headers).json()
    assert [b["status"] for b in listed if b["id"] == booking["id"]] == ["pending"]

    sweeper = Deadlines(container.bookings, container.query, container.rules.current,
                        stuck_after=timedelta(minutes=2))
    assert sweeper.tick(later + timedelta(minutes=3))["redriven"] == 1
    stored = container.bookings.events.get(booking["id"])
    repeats = [c for c in map(public.to_seat_command, stored) if isinstance(c, ReserveSeats) and c.repeat]
    assert [(r.attempt, str(r.booking_id)) for r in repeats] == [(2, booking["id"])]  # the same attempt, asked again
