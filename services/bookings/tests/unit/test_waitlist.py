"""Waitlist policies (strict FIFO, first fit, first fit with a skip limit) and the Waitlist aggregate."""

from __future__ import annotations

from uuid import uuid4

import pytest

from bookings_service.domain import Waitlist
from bookings_service.domain.waitlist_policy import Candidate, choose

pytestmark = pytest.mark.unit


def line(*sizes: int, skips: dict[str, int] | None = None) -> list[Candidate]:
    skips = skips or {}
    return [Candidate(f"g{i}", size, skips.get(f"g{i}", 0)) for i, size in enumerate(sizes)]


def test_strict_fifo_stops_at_the_first_group_that_does_not_fit():
    assert choose(line(1, 4, 1), 3, "strict_fifo").promote == ["g0"]
    assert choose(line(4, 1, 1), 3, "strict_fifo").promote == []
    assert choose(line(1, 2, 1), 3, "strict_fifo").promote == ["g0", "g1"]


def test_first_fit_takes_everyone_who_fits_in_queue_order():
    assert choose(line(4, 1, 3, 1), 3, "first_fit").promote == ["g1", "g3"]
    assert choose(line(4, 1, 2), 3, "first_fit").promote == ["g1", "g2"]
    assert choose(line(4, 1, 2), 3, "first_fit").skipped == ["g0"]


def test_first_fit_fair_holds_seats_for_a_group_skipped_too_often():
    assert choose(line(4, 1), 2, "first_fit_fair", skip_limit=3).promote == ["g1"]
    assert choose(line(4, 1, skips={"g0": 2}), 2, "first_fit_fair", skip_limit=3).skipped == ["g0"]
    blocked = choose(line(4, 1, skips={"g0": 3}), 2, "first_fit_fair", skip_limit=3)
    assert blocked.promote == [] and blocked.skipped == []
    assert choose(line(4, 1, skips={"g0": 3}), 4, "first_fit_fair", skip_limit=3).promote == ["g0"]


def test_nothing_free_promotes_nobody():
    for policy in ("strict_fifo", "first_fit", "first_fit_fair"):
        assert choose(line(1, 1), 0, policy).promote == []


def simulate(policy: str, seats_freed_one_by_one: int, skip_limit: int = 3) -> list[str]:
    """A big group of 4 at the head, a stream of single people behind it; seats free up one at a time."""
    waitlist = Waitlist(event_id=uuid4())
    big = uuid4()
    waitlist.join(big, 4)
    singles = [uuid4() for _ in range(seats_freed_one_by_one)]
    for s in singles:
        waitlist.join(s, 1)
    order, free = [], 0
    for _ in range(seats_freed_one_by_one):
        free += 1
        for booking_id in waitlist.promote(free, policy, skip_limit):
            group = waitlist.line[str(booking_id)][0]
            free -= group
            waitlist.leave(booking_id)  # SeatsReserved came back
            order.append("big" if booking_id == big else "single")
    return order


def test_first_fit_starves_a_big_group_but_first_fit_fair_does_not():
    assert "big" not in simulate("first_fit", 12)
    fair = simulate("first_fit_fair", 12, skip_limit=3)
    assert fair[:3] == ["single"] * 3 and fair[3] == "big"  # three skips, then the seats wait for it
    assert simulate("strict_fifo", 12)[0] == "big"


def test_positions_count_waiting_entries_and_a_returned_entry_keeps_its_place():
    waitlist = Waitlist(event_id=uuid4())
    a, b, c = uuid4(), uuid4(), uuid4()
    assert [waitlist.join(x, 1) for x in (a, b, c)] == [1, 2, 3]
    assert waitlist.join(b, 1) == 2  # joining twice keeps the place
    assert waitlist.promote(1, "first_fit", 3, seats_version=4) == [a]
    assert (waitlist.position_of(a), waitlist.position_of(b)) == (None, 1)
    assert waitlist.promote(1, "first_fit", 3, seats_version=4) == []  # same news again
    assert waitlist.promote(1, "first_fit", 3, seats_version=5) == []  # a's seat is in flight
    assert waitlist.join(a, 1) == 1  # rejected: back at the head
    waitlist.leave(b)
    assert waitlist.booking_ids() == [a, c] and waitlist.position_of(c) == 2
    waitlist.leave(b)  # leaving twice is a no-op
    assert [type(e).__name__ for e in waitlist.collect_events()] == [
        "Opened", "Joined", "Joined", "Joined", "Promoted", "Returned", "Left"]
