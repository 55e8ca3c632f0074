"""Many people booking a full event at once all join its line: distinct positions 1..n, in the order the
list shows them, no booking lost to a concurrency conflict."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from authkit.testing import caller
from contracts.events import SeatsRejected

from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def test_concurrent_bookings_of_a_full_event_get_distinct_places(client, issuer, organizer, catalogue, saga, view):
    created = event_created(organizer=organizer.user_id, capacity=1)
    event_id = created.payload["event_id"]
    catalogue(created)
    first_person = caller(issuer, "participant")
    first = client.post(URL, json={"event_id": event_id}, headers=first_person.headers).json()
    saga(seat_message(SeatsRejected(event_id=event_id, booking_id=first["id"], seats=1, reason="full",
                                    seats_available=0), 2))
    people = [caller(issuer, "participant") for _ in range(16)]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda p: client.post(URL, json={"event_id": event_id}, headers=p.headers), people))
    assert [r.status_code for r in responses] == [202] * 16
    assert sorted(r.json()["waitlist_position"] for r in responses) == list(range(2, 18))
    view()
    listed = client.get(URL, params={"event_id": event_id, "limit": 100}, headers=organizer.headers).json()
    assert [b["waitlist_position"] for b in listed] == list(range(1, 18))
    by_id = {r.json()["id"]: r.json()["waitlist_position"] for r in responses}
    assert all(by_id[b["id"]] == b["waitlist_position"] for b in listed[1:])
