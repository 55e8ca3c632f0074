"""A participant's booking journeys through the gateway: free, full with a waitlist, paid (sandbox), failed,
refunded, retried with an Idempotency-Key, and every bad request refused with a problem that changes nothing.

Each journey crosses bookings → Kafka → events (seats) → Kafka → bookings (saga), and for paid events also
→ payments and back, so it proves the whole saga wiring, not just one service.
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from e2e_support import Platform, eventually, is_problem

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def organizer(platform: Platform):
    return platform.organizer()


def seats_become(platform: Platform, event_id: str, seats: int, timeout: float = 10) -> dict:
    def probe():
        event = platform.event(event_id)
        return event if event["seats_available"] == seats else None
    return eventually(probe, timeout=timeout, what=f"seats_available == {seats}")


def test_a_free_booking_is_confirmed_and_takes_its_seats(platform, organizer):
    event = platform.create_event(organizer, seats=5)
    ann = platform.register("Ann Attendee")
    platform.wait_bookable(event["id"], ann)

    r = platform.book(ann, event["id"], group_size=2)
    assert r.status_code == 202, r.text
    assert r.headers["Location"].endswith(r.json()["id"])
    booking = platform.wait_status(ann, r.json()["id"], "confirmed")
    assert booking["group_size"] == 2 and booking["payment_id"] is None and booking["expires_at"] is None
    seats_become(platform, event["id"], 3)

    mine = eventually(lambda: [b for b in platform.http.get("/api/v1/bookings/", headers=ann.auth).json()
                               if b["status"] == "confirmed"] or None, timeout=10, what="the booking in my list")
    assert [b["id"] for b in mine] == [booking["id"]]


def test_a_full_event_waitlists_in_order_and_a_cancellation_promotes_the_head(platform, organizer):
    event = platform.create_event(organizer, seats=3)
    people = platform.register_many(5, "Queue Person")
    platform.wait_bookable(event["id"], people[0])

    confirmed = [platform.booked(p, event["id"]) for p in people[:3]]
    for booking, person in zip(confirmed, people[:3], strict=True):
        platform.wait_status(person, booking["id"], "confirmed")
    seats_become(platform, event["id"], 0)

    # One at a time, so the line order is the order of asking.
    waiting = []
    for position, person in enumerate(people[3:], start=1):
        booking = platform.wait_status(person, platform.booked(person, event["id"])["id"], "waitlisted")
        assert booking["waitlist_position"] == position
        waiting.append(booking)

    expected = [(w["id"], i) for i, w in enumerate(waiting, start=1)]

    def organizer_sees_the_line():
        listed = platform.event_bookings(organizer, event["id"])
        in_line = [(b["id"], b["waitlist_position"]) for b in listed if b["status"] == "waitlisted"]
        assert in_line == expected
        assert [b["status"] for b in listed] == ["confirmed"] * 3 + ["waitlisted"] * 2, "the line comes last"
        return listed

    eventually(organizer_sees_the_line, timeout=10, what="the organizer's list shows the line")

    cancelled = platform.cancel(people[0], confirmed[0]["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"

    promoted = platform.wait_status(people[3], waiting[0]["id"], "confirmed", timeout=10)
    assert promoted["waitlist_position"] is None
    still = platform.booking(people[4], waiting[1]["id"])
    assert still["status"] == "waitlisted" and still["waitlist_position"] == 1
    seats_become(platform, event["id"], 0)

    again = platform.cancel(people[0], confirmed[0]["id"])
    assert is_problem(again, 409), again.text


def test_a_paid_booking_waits_for_payment_and_is_confirmed_by_the_sandbox(platform, organizer):
    event = platform.create_event(organizer, seats=4, price="12.50")
    payer = platform.register("Paula Payer")
    platform.wait_bookable(event["id"], payer)

    booking = platform.booked(payer, event["id"], group_size=2, method="sandbox")
    held = platform.wait_status(payer, booking["id"], "awaiting_payment")
    assert held["payment_id"] and held["expires_at"]
    assert datetime.fromisoformat(held["expires_at"]) > datetime.fromisoformat(held["updated_at"])
    assert held["amount"] == "25.00" and held["currency"] == "EUR"
    seats_become(platform, event["id"], 2)  # held seats are taken while the payment is pending

    outsider = platform.register("Oscar Outsider")
    eventually(lambda: platform.payment(payer, held["payment_id"]), timeout=10, what="payment created")
    stolen = platform.sandbox(outsider, held["payment_id"], "succeeded")
    assert is_problem(stolen, 403), stolen.text

    paid = platform.pay(payer, held["payment_id"], "succeeded")
    assert paid["status"] == "succeeded" and paid["amount"] == "25.00" and paid["booking_id"] == booking["id"]
    done = platform.wait_status(payer, booking["id"], "confirmed")
    assert done["payment_id"] == held["payment_id"] and done["expires_at"] is None
    assert platform.event(event["id"])["seats_available"] == 2

    twice = platform.sandbox(payer, held["payment_id"], "succeeded")
    assert is_problem(twice, 409), twice.text


def test_a_failed_payment_cancels_the_booking_and_releases_the_seat(platform, organizer):
    event = platform.create_event(organizer, seats=1, price="9.99")
    payer = platform.register("Fred Failing")
    platform.wait_bookable(event["id"], payer)

    booking = platform.booked(payer, event["id"], method="sandbox")
    held = platform.wait_status(payer, booking["id"], "awaiting_payment")
    seats_become(platform, event["id"], 0)

    failed = platform.pay(payer, held["payment_id"], "failed")
    assert failed["status"] == "failed"
    ended = platform.wait_status(payer, booking["id"], "cancelled")
    assert ended["reason"] == "payment_failed"
    seats_become(platform, event["id"], 1)

    # The freed seat is really bookable again.
    next_one = platform.register("Nina Next")
    second = platform.booked(next_one, event["id"], method="sandbox")
    platform.wait_status(next_one, second["id"], "awaiting_payment")


def test_cancelling_a_confirmed_paid_booking_refunds_the_payment(platform, organizer):
    event = platform.create_event(organizer, seats=2, price="30.00")
    payer = platform.register("Rita Refund")
    platform.wait_bookable(event["id"], payer)

    booking = platform.booked(payer, event["id"], method="sandbox")
    held = platform.wait_status(payer, booking["id"], "awaiting_payment")
    platform.pay(payer, held["payment_id"])
    platform.wait_status(payer, booking["id"], "confirmed")
    seats_become(platform, event["id"], 1)

    cancelled = platform.cancel(payer, booking["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    refunded = platform.wait_payment(payer, held["payment_id"], "refunded", timeout=15)
    assert refunded["amount"] == "30.00"
    seats_become(platform, event["id"], 2)

    listed = eventually(lambda: [p for p in platform.http.get(
        "/api/v1/payments/", headers=payer.auth).json() if p["status"] == "refunded"] or None,
        timeout=10, what="the refunded payment in the payer's list")
    assert [p["id"] for p in listed] == [held["payment_id"]]


def test_the_same_idempotency_key_twice_makes_one_booking(platform, organizer):
    event = platform.create_event(organizer, seats=5)
    ivan = platform.register("Ivan Impatient")
    platform.wait_bookable(event["id"], ivan)
    key = f"retry-{uuid4()}"

    first = platform.book(ivan, event["id"], group_size=2, key=key)
    second = platform.book(ivan, event["id"], group_size=2, key=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    platform.wait_status(ivan, first.json()["id"], "confirmed")

    reused = platform.book(ivan, event["id"], group_size=3, key=key)
    assert is_problem(reused, 422), reused.text

    mine = eventually(lambda: platform.http.get("/api/v1/bookings/", params={"status": "confirmed"},
                                                headers=ivan.auth).json() or None,
                      timeout=10, what="the booking in the owner's list")
    assert [b["id"] for b in mine] == [first.json()["id"]]
    seats_become(platform, event["id"], 3)  # capacity − confirmed, whether the seats came from a lease or not


def test_bad_booking_requests_get_problems_and_change_nothing(platform, organizer):
    free = platform.create_event(organizer, seats=3)
    paid = platform.create_event(organizer, seats=3, price="5.00", methods=("sandbox",))
    owner, other = platform.register("Olive Owner"), platform.register("Mallory Meddler")
    platform.wait_bookable(free["id"], owner)
    platform.wait_bookable(paid["id"], owner)

    unknown = platform.book(owner, str(uuid4()))
    assert is_problem(unknown, 404), unknown.text
    for size in (0, -1):
        zero = platform.book(owner, free["id"], group_size=size)
        assert is_problem(zero, 422), zero.text
    too_big = platform.book(owner, free["id"], group_size=4)
    assert is_problem(too_big, 422), too_big.text
    no_method = platform.book(owner, paid["id"])
    assert is_problem(no_method, 422), no_method.text
    wrong_method = platform.book(owner, paid["id"], method="cash")
    assert is_problem(wrong_method, 422), wrong_method.text
    anonymous = platform.http.post("/api/v1/bookings/", json={"event_id": free["id"], "group_size": 1})
    assert anonymous.status_code == 401

    booking = platform.booked(owner, free["id"])
    platform.wait_status(owner, booking["id"], "confirmed")
    peek = platform.http.get(f"/api/v1/bookings/{booking['id']}", headers=other.auth)
    assert is_problem(peek, (403, 404)), peek.text
    meddle = platform.cancel(other, booking["id"])
    assert is_problem(meddle, (403, 404)), meddle.text
    assert platform.booking(owner, booking["id"])["status"] == "confirmed"
    missing = platform.cancel(owner, str(uuid4()))
    assert is_problem(missing, 404), missing.text

    # The organizer sees the event's bookings; another participant filtering by it sees only their own (none).
    foreign = platform.http.get("/api/v1/bookings/", params={"event_id": free["id"]}, headers=other.auth)
    assert foreign.status_code == 200 and foreign.json() == [], foreign.text
    seats_become(platform, free["id"], 2)
    assert platform.event(paid["id"])["seats_available"] == 3
    assert platform.http.get("/api/v1/bookings/", headers=other.auth).json() == []
