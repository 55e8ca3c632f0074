"""Ticket rush through the gateway: far more booking requests than seats, at once, in mixed group sizes.

Nobody may get a seat that is not there, nobody may be lost: every booking ends confirmed or waitlisted,
the confirmed seats and `seats_available` add up to the capacity, and the line is numbered 1..k.
Under `strict_fifo`: the confirmed bookings are exactly the first accepted (by acceptance number), the line
holds the rest in that order.
The plain rush runs with seat leases on (the default) and off (`BOTH_LEASE_SETTINGS`); the strict one with them on.
"""

from __future__ import annotations

import random
import time

import pytest

from e2e_support import BOTH_LEASE_SETTINGS, Ask, Platform, check_seats, eventually, send_all
from fifo_support import check_first_come_first_served, waitlist_policy

pytestmark = pytest.mark.e2e

CAPACITY = 40
REQUESTS = 150
CONCURRENCY = 30


@BOTH_LEASE_SETTINGS
def test_a_rush_never_oversells_and_everyone_else_waits_in_a_numbered_line(platform: Platform, crowd,
                                                                          seat_leases: bool | None):
    organizer = platform.organizer()
    event = platform.create_event(organizer, seats=CAPACITY, title="Rush")
    platform.wait_bookable(event["id"], crowd[0])
    rng = random.Random(20240611)
    asks = [Ask(crowd[i % len(crowd)], event["id"], rng.choice((1, 2, 3))) for i in range(REQUESTS)]
    rng.shuffle(asks)

    started = time.monotonic()
    send_all(platform, asks, CONCURRENCY)
    accepted = time.monotonic() - started
    result = eventually(lambda: check_seats(platform, organizer, event, asks), timeout=60, interval=0.2,
                        what="the rush settles with every invariant holding")
    settled = time.monotonic() - started
    print(f"\nrush: {REQUESTS} requests accepted in {accepted:.1f} s, settled in {settled:.1f} s: {result}")

    assert set(result["statuses"]) <= {"confirmed", "waitlisted"}, result
    assert result["waitlisted"] > 0, "150 requests for 40 seats must leave people waiting"
    smallest_waiting = min(a.group_size for a in asks if a.status == "waitlisted")
    # Only leftovers too small for anyone waiting stay free (with groups of 1 waiting: none at all).
    assert result["seats_available"] < smallest_waiting, result


def test_under_strict_fifo_the_first_accepted_get_the_seats_and_the_rest_wait_in_acceptance_order(
        platform: Platform, crowd):
    organizer = platform.organizer()
    with waitlist_policy(platform, "strict_fifo"):
        event = platform.create_event(organizer, seats=CAPACITY, title="Strict rush")
        platform.wait_bookable(event["id"], crowd[0])
        rng = random.Random(20261201)
        asks = [Ask(crowd[i % len(crowd)], event["id"], rng.choice((1, 2, 3))) for i in range(REQUESTS)]
        send_all(platform, asks, CONCURRENCY)
        result = eventually(lambda: check_seats(platform, organizer, event, asks), timeout=60, interval=0.2,
                            what="the strict rush settles with every invariant holding")
        order = check_first_come_first_served(asks)
    print(f"\nstrict rush: {result}, {order}")
    assert set(result["statuses"]) <= {"confirmed", "waitlisted"}, result
