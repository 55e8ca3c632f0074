"""Acceptance numbers with two api processes on one event store: every accepted booking of an event gets its
own number, 1..n without gaps, and the numbers follow the order the requests reach the Event (the order of
their seat requests in the notification log, which the relay publishes) — not either process's memory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from bookings_service.application import BookingRequest, Bookings
from bookings_service.domain import BookingRules, EventTerms

pytestmark = pytest.mark.integration


def test_two_api_processes_number_one_event_s_requests_in_commit_order(client):
    here = client.app.state.container.bookings
    there = Bookings(env=dict(here.env))  # another api process: its own cache, its own connections
    terms = EventTerms(event_id=uuid4(), created_by=uuid4(), start_time=datetime.now(UTC) + timedelta(days=1),
                       status="scheduled", is_paid=False, price=None, currency=None, allowed_payment_methods=(),
                       max_participants=1000, seats_available=1000)
    rules = BookingRules(max_seats_per_user_per_event=100)
    start = here.recorder.max_notification_id() or 0

    def batches(app: Bookings) -> list:
        made = []
        for _ in range(8):
            asks = [BookingRequest(booking_id=uuid4(), user_id=uuid4(), terms=terms, rules=rules, group_size=1,
                                   payment_method=None) for _ in range(5)]
            made += app.request_many(asks)
        return made

    with ThreadPoolExecutor(2) as pool:
        results = [b for part in pool.map(batches, (here, there)) for b in part]

    assert all(not isinstance(r, Exception) for r in results), results
    numbers = {b.id: b.sequence for b in results}
    assert sorted(numbers.values()) == list(range(1, 81))
    asked = [n for n in here.recorder.select_notifications(start + 1, 10_000)
             if n.topic.endswith("SeatsRequested") and n.originator_id in numbers]
    assert [numbers[n.originator_id] for n in asked] == list(range(1, 81))
    assert here.get_booking(results[0].id).sequence == numbers[results[0].id]  # stored, not just in memory
