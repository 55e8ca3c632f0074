"""Seat leases (issue 8): the catalogue's `seats_available` is capacity − reserved − leased seats bookings hold.

The Event counts leased seats as gone, yet the lease's free seats are bookable at once: GET /events/{id}, the
list and its `has_seats` filter count them as available, from the ledger's `LeaseUseChanged` (bookings.v1).
The Event's figures and the ledger's arrive on different topics, in any order: the newest of each wins."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from contracts import wrap
from contracts.bookings import LeaseUseChanged
from contracts.events import RequestSeatLease, ReturnLeasedSeats
from spine.projector import apply_in_transaction

from events_service.projections.lease_use import LeaseUseProjection

from .test_seats_in_responses import URL, publish, reserve, send

pytestmark = pytest.mark.api

LEDGER = uuid4()  # the ledger's aggregate id (bookings.v1 key); the catalogue goes by event_id and version


def use(settings, event_id: str, *, leased: int, in_use: int, version: int) -> None:
    """The ledger's figures after a save, as the events worker's projector applies them from bookings.v1."""
    message = LeaseUseChanged(event_id=UUID(event_id), leased=leased, in_use=in_use, ledger_version=version)
    apply_in_transaction(settings.conninfo(settings.database), LeaseUseProjection(),
                         [wrap(message, aggregate_id=str(LEDGER), aggregate_version=version)])


def seats(client, organizer, event_id: str) -> tuple[int, int, bool]:
    """seats_available from GET /events/{id}, from the list, and whether `has_seats=true` lists it."""
    one = client.get(f"{URL}{event_id}").json()["seats_available"]
    by = {"created_by": str(organizer.user_id)}
    (listed,) = [e for e in client.get(URL, params=by).json() if e["id"] == event_id]
    with_seats = {e["id"] for e in client.get(URL, params={**by, "has_seats": "true"}).json()}
    return one, listed["seats_available"], event_id in with_seats


def test_leased_seats_no_booking_holds_count_as_available(client, settings, organizer, feed_catalogue_now):
    event = publish(client, organizer, 20)
    event_id = event["id"]
    send(client, reserve(event_id, 2), RequestSeatLease(event_id=UUID(event_id), lease_id=uuid4(), seats=8))
    feed_catalogue_now()
    # The ledger has not said anything yet: every leased seat counts as held (the Event's own count).
    assert seats(client, organizer, event_id) == (10, 10, True)

    use(settings, event_id, leased=8, in_use=0, version=3)  # granted, nothing taken yet
    assert seats(client, organizer, event_id) == (18, 18, True)
    use(settings, event_id, leased=8, in_use=5, version=9)  # 5 free bookings confirmed from the lease
    assert seats(client, organizer, event_id) == (13, 13, True)
    use(settings, event_id, leased=8, in_use=2, version=7)  # older news, arriving late: ignored
    assert seats(client, organizer, event_id) == (13, 13, True)
    use(settings, event_id, leased=8, in_use=4, version=10)  # one of them cancelled
    assert seats(client, organizer, event_id) == (14, 14, True)

    # The idle return: the ledger's figure (leased 4) may arrive before or after the Event's; exact both ways.
    use(settings, event_id, leased=4, in_use=4, version=11)
    assert seats(client, organizer, event_id) == (14, 14, True)
    send(client, ReturnLeasedSeats(event_id=UUID(event_id), return_id=uuid4(), seats=4, reason="idle"))
    feed_catalogue_now()
    assert seats(client, organizer, event_id) == (14, 14, True)


def test_a_lease_that_took_every_seat_still_lists_its_free_ones_and_a_full_one_lists_none(client, settings,
                                                                                         organizer,
                                                                                         feed_catalogue_now):
    event = publish(client, organizer, 6)
    event_id = event["id"]
    send(client, RequestSeatLease(event_id=UUID(event_id), lease_id=uuid4(), seats=6))
    feed_catalogue_now()
    use(settings, event_id, leased=6, in_use=1, version=4)
    assert seats(client, organizer, event_id) == (5, 5, True)
    use(settings, event_id, leased=6, in_use=6, version=5)
    assert seats(client, organizer, event_id) == (0, 0, False)
    sold_out = client.get(URL, params={"created_by": str(organizer.user_id), "has_seats": "false"}).json()
    assert event_id in {e["id"] for e in sold_out}
