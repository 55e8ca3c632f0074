"""Seat leases keep the catalogue truthful (issue 8), through the whole system with leases on.

Free bookings confirmed from the bookings service's lease never wait for the Event; the Event counts the
whole lease as gone. The catalogue's `seats_available` (GET /events/{id} and the list) is nevertheless
capacity − confirmed − held: it counts the ledger's use (`LeaseUseChanged` on bookings.v1), so a lease of 16
seats with 3 of them taken shows 3 fewer seats, not 16 — after a cancel, one more, and after the idle seats
went back to the Event, the same.
"""

from __future__ import annotations

import os

import psycopg
import pytest

from e2e_support import Platform, eventually
from fault_support import conninfo

pytestmark = pytest.mark.e2e

CAPACITY = 40


def leases_on(env: dict[str, str]) -> bool:
    """BOOKINGS_SEAT_LEASES as the bookings service reads it (its default when unset)."""
    raw = env.get("BOOKINGS_SEAT_LEASES", os.environ.get("BOOKINGS_SEAT_LEASES"))
    if raw is None:
        from bookings_service.settings import Settings
        return bool(Settings.model_fields["seat_leases"].default)
    return raw.strip().lower() in ("1", "true", "yes", "on")


def shows(platform: Platform, organizer, event_id: str, seats: int, what: str, *,
          env: dict[str, str] | None = None) -> None:
    """Until GET /events/{id} and the organizer's list both show `seats` free — with `env`, at a moment when the
    Event still has free seats out on lease (before the idle return, when its own count would say fewer)."""
    def probe() -> bool | None:
        leased, in_use = lease_figures(env, event_id) if env is not None else (0, 0)
        one = platform.event(event_id)["seats_available"]
        listed = platform.http.get("/api/v1/events/", params={"created_by": organizer.id}).json()
        exact = one == seats and [e["seats_available"] for e in listed if e["id"] == event_id] == [seats]
        return True if exact and (env is None or leased > (in_use or 0)) else None
    eventually(probe, timeout=30, what=f"{what}: seats_available == {seats}")


def lease_figures(env: dict[str, str], event_id: str) -> tuple[int, int | None]:
    """The Event's seats out on lease (catalogue view) and the leased seats bookings hold (lease_use view)."""
    with psycopg.connect(conninfo(env, "events")) as conn:
        row = conn.execute("SELECT c.seats_leased, u.in_use FROM catalogue c LEFT JOIN lease_use u USING (event_id)"
                           " WHERE c.event_id = %s", (event_id,)).fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_catalogue_counts_the_leased_seats_bookings_hold_not_the_whole_lease(system_env, request):
    if not leases_on(system_env):
        pytest.skip("seat leases are off in this system (BOOKINGS_SEAT_LEASES)")
    platform: Platform = request.getfixturevalue("platform")  # the system starts only when leases are on
    organizer = platform.organizer("Lease Organizer")
    event = platform.create_event(organizer, seats=CAPACITY, title="Lease meetup")
    event_id = event["id"]
    people = [platform.register(f"Lease Guest {i}") for i in range(5)]
    platform.wait_bookable(event_id, people[0])

    # The first booking asks the Event (no lease yet) and makes the ledger ask for one; once it is granted,
    # bookings are confirmed in the request itself.
    confirmed: list[tuple] = []
    at_once: list[tuple] = []
    for person in people:
        response = platform.book(person, event_id)
        assert response.status_code == 202, response.text
        booking = response.json()
        if booking["status"] == "confirmed":
            at_once.append((person, booking))
        else:
            platform.wait_status(person, booking["id"], "confirmed", timeout=30)
        confirmed.append((person, booking))
        if len(at_once) >= 3:
            break
        if not at_once:
            eventually(lambda: lease_figures(system_env, event_id)[0] or None, timeout=30, what="a lease granted")
    assert len(at_once) == 3, "leased seats should confirm bookings at once"
    leased, _ = lease_figures(system_env, event_id)
    assert leased > len(at_once)  # a lease of M seats, N < M of them taken
    shows(platform, organizer, event_id, CAPACITY - len(confirmed), "bookings confirmed from the lease",
          env=system_env)

    person, booking = at_once[0]
    assert platform.cancel(person, booking["id"]).status_code == 200
    shows(platform, organizer, event_id, CAPACITY - len(confirmed) + 1, "a leased booking cancelled")

    # Idle leased seats go back to the Event (BOOKINGS_LEASE_IDLE_SECONDS): the Event's lease shrinks to what
    # bookings hold, and the count does not move.
    idle = float(system_env.get("BOOKINGS_LEASE_IDLE_SECONDS", "30"))

    def returned() -> bool | None:
        leased_now, in_use = lease_figures(system_env, event_id)
        return True if in_use is not None and leased_now == in_use else None

    eventually(returned, timeout=idle + 60, what="idle leased seats back at the Event")
    shows(platform, organizer, event_id, CAPACITY - len(confirmed) + 1, "idle leased seats returned")
