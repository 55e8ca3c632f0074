"""One page of an event's bookings: the right rows with their places in line, and only the page's rows are
placed (placing every matching row made a page O(n²) in the waitlisted bookings: 1.2 s for a 1,500 line)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from spine.views import Compiled

from bookings_service.projections.bookings_query import BookingFilters, _list
from bookings_service.projections.bookings_view import bookings_view

pytestmark = pytest.mark.integration

CONFIRMED, WAITING = 5, 30


@pytest.fixture(scope="module")
def event(client) -> dict:
    """An event with 5 confirmed and 30 waitlisted bookings (acceptance numbers 1..30), written to the view."""
    container = client.app.state.container
    event_id, t0 = uuid4(), datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"booking_id": uuid4(), "event_id": event_id, "user_id": uuid4(), "group_size": 1,
             "status": "confirmed", "created_at": t0 + timedelta(seconds=i), "updated_at": t0,
             "sequence": None} for i in range(CONFIRMED)]
    rows += [{"booking_id": uuid4(), "event_id": event_id, "user_id": uuid4(), "group_size": 1,
              "status": "waitlisted", "created_at": t0, "updated_at": t0, "waitlisted_at": t0 + timedelta(seconds=i),
              "sequence": 100 + i} for i in range(WAITING)]
    with container.pool.connection() as conn:
        for row in rows:
            compiled = Compiled(bookings_view.insert().values(**row))
            conn.execute(compiled.sql, compiled.defaults)
    return {"id": event_id, "rows": rows}


def test_a_page_of_the_line_shows_each_booking_at_its_place(client, event):
    rows, total = client.app.state.container.query.search(BookingFilters(event_id=event["id"]), limit=5, offset=10)
    assert total == CONFIRMED + WAITING
    waiting = event["rows"][CONFIRMED:]
    assert [r["booking_id"] for r in rows] == [w["booking_id"] for w in waiting[5:10]]
    assert [r["waitlist_position"] for r in rows] == [6, 7, 8, 9, 10]


def test_a_booking_listed_alone_keeps_its_place_in_the_whole_line(client, event):
    twelfth = event["rows"][CONFIRMED + 11]
    rows, total = client.app.state.container.query.search(
        BookingFilters(event_id=event["id"], user_id=twelfth["user_id"]), limit=10, offset=0)
    assert total == 1 and rows[0]["booking_id"] == twelfth["booking_id"] and rows[0]["waitlist_position"] == 12


def test_confirmed_bookings_come_first_and_have_no_place(client, event):
    rows, _ = client.app.state.container.query.search(BookingFilters(event_id=event["id"]), limit=6, offset=0)
    assert [r["status"] for r in rows] == ["confirmed"] * CONFIRMED + ["waitlisted"]
    assert [r["waitlist_position"] for r in rows] == [None] * CONFIRMED + [1]


def test_only_the_pages_rows_are_placed_in_line(client, event):
    """The count of the line runs once per row of the page, not once per booking of the event."""
    compiled = Compiled(_list(bookings_view.c.event_id == event["id"], 2, 20))
    with client.app.state.container.pool.connection() as conn:
        plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + compiled.sql, compiled.defaults).fetchone()
    plan = next(iter(plan.values())) if isinstance(plan, dict) else plan[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    placings = [node["Actual Loops"] for node in _nodes(plan[0]["Plan"]) if node["Node Type"] == "Aggregate"]
    assert placings and max(placings) <= 2, placings


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)
