"""An organizer runs their event, through the gateway, as a new user would: sees who booked (with names),
exports the list as CSV, confirms cash at the door, reads the sales summary. A booking cancelled while its
payment is pending voids that payment: it can no longer be paid."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from e2e_support import Platform, eventually, is_problem

pytestmark = pytest.mark.e2e


def attendees(platform: Platform, who, event_id: str, **params):
    return platform.http.get(f"/api/v1/events/{event_id}/attendees", params=params, headers=who.auth)


def test_an_organizer_sees_who_booked_confirms_cash_at_the_door_and_reads_the_summary(platform: Platform):
    olga, other = platform.organizer("Olga Organizer"), platform.organizer("Oscar Other")
    event = platform.create_event(olga, seats=5, price="20.00", methods=("cash", "sandbox"), title="Box office")
    ann, bob = platform.register("Ann Attendee"), platform.register("=Bob+Formula")
    platform.wait_bookable(event["id"], ann)

    cash = platform.booked(ann, event["id"], 2, method="cash")
    card = platform.booked(bob, event["id"], 1, method="sandbox")
    held = platform.wait_status(ann, cash["id"], "awaiting_payment")
    # Paying at the door: the hold lasts until the event starts, not booking_hold_minutes.
    assert datetime.fromisoformat(held["expires_at"]) == datetime.fromisoformat(event["start_time"])
    paid = platform.wait_status(bob, card["id"], "awaiting_payment")
    platform.pay(bob, paid["payment_id"])
    platform.wait_status(bob, card["id"], "confirmed")

    def listed():
        r = attendees(platform, olga, event["id"])
        assert r.status_code == 200, r.text
        rows = {a["booking_id"]: a for a in r.json()}
        # Payment states (payments.v1) and confirmations (bookings.v1) reach the list by separate streams.
        ready = (len(rows) == 2 and rows[card["id"]]["payment_status"] == "succeeded"
                 and rows[card["id"]]["confirmed_at"]
                 and rows[cash["id"]]["payment_status"] == "pending" and rows[cash["id"]]["full_name"])
        return rows if ready else None

    rows = eventually(listed, timeout=20, what="attendee list with names and payment states")
    assert (rows[cash["id"]]["full_name"], rows[cash["id"]]["email"]) == ("Ann Attendee", ann.email)
    assert rows[card["id"]]["full_name"] == "=Bob+Formula" and rows[card["id"]]["confirmed_at"]

    exported = attendees(platform, olga, event["id"], format="csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    parsed = {row["booking_id"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert parsed[card["id"]]["full_name"] == "'=Bob+Formula"  # never a formula in a spreadsheet
    assert (parsed[cash["id"]]["email"], parsed[cash["id"]]["group_size"]) == (ann.email, "2")
    assert is_problem(attendees(platform, other, event["id"]), 403)
    assert is_problem(attendees(platform, ann, event["id"], format="csv"), 403)

    # Cash at the door: only this event's organizer (or support) confirms it.
    payment_id = rows[cash["id"]]["payment_id"]
    confirm = f"/api/v1/payments/{payment_id}/confirm"
    assert is_problem(platform.http.post(confirm, headers=other.auth), 403)
    assert is_problem(platform.http.post(confirm, headers=bob.auth), 403)
    r = platform.http.post(confirm, headers=olga.auth)
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    platform.wait_status(ann, cash["id"], "confirmed")

    def summary():
        r = platform.http.get(f"/api/v1/events/{event['id']}/summary", headers=olga.auth)
        assert r.status_code == 200, r.text
        s = r.json()
        return s if s["seats"]["confirmed"] == 3 and len(s["revenue"]) == 2 else None

    s = eventually(summary, timeout=20, what="sales summary of both payments")
    assert s["seats"] == {"capacity": 5, "confirmed": 3, "held": 0, "pending": 0, "free": 2}
    assert s["waitlist"] == {"bookings": 0, "seats": 0} and s["refunds"] == []
    assert {(r["payment_method"], r["gross"], r["net"]) for r in s["revenue"]} == {
        ("cash", "40.00", "40.00"), ("sandbox", "20.00", "20.00")}
    assert is_problem(platform.http.get(f"/api/v1/events/{event['id']}/summary", headers=other.auth), 403)

    # A participant filtering by the event sees their own bookings of it.
    own = platform.http.get("/api/v1/bookings/", params={"event_id": event["id"]}, headers=ann.auth)
    assert own.status_code == 200 and [b["id"] for b in own.json()] == [cash["id"]]


def test_cancelling_a_booking_voids_its_pending_payment(platform: Platform):
    olga = platform.organizer("Olga Organizer")
    event = platform.create_event(olga, seats=5, price="15.00", methods=("sandbox", "cash"), title="Void")
    ann = platform.register("Ann Attendee")
    platform.wait_bookable(event["id"], ann)
    booking = platform.booked(ann, event["id"], method="sandbox")
    payment_id = platform.wait_status(ann, booking["id"], "awaiting_payment")["payment_id"]
    platform.wait_payment(ann, payment_id, "pending")
    assert platform.cancel(ann, booking["id"]).status_code == 200
    platform.wait_payment(ann, payment_id, "voided")
    refused = platform.sandbox(ann, payment_id, "succeeded")
    assert is_problem(refused, 409) and refused.json()["type"].endswith("payment-voided"), refused.text
    assert platform.payment(ann, payment_id)["status"] == "voided"


def test_an_event_cancellation_voids_the_pending_payments_of_its_bookings(platform: Platform):
    olga = platform.organizer("Olga Organizer")
    event = platform.create_event(olga, seats=5, price="15.00", methods=("cash",), title="Void all")
    ann = platform.register("Ann Attendee")
    platform.wait_bookable(event["id"], ann)
    booking = platform.booked(ann, event["id"], method="cash")
    payment_id = platform.wait_status(ann, booking["id"], "awaiting_payment")["payment_id"]
    platform.wait_payment(ann, payment_id, "pending")
    r = platform.http.post(f"/api/v1/events/{event['id']}/cancel", json={"reason": "Venue flooded"},
                           headers=olga.auth)
    assert r.status_code == 200, r.text
    platform.wait_status(ann, booking["id"], "cancelled")
    platform.wait_payment(ann, payment_id, "voided")
    assert is_problem(platform.http.post(f"/api/v1/payments/{payment_id}/confirm", headers=olga.auth), 409)


def test_box_office_of_an_unknown_event_is_404(platform: Platform):
    olga = platform.organizer("Olga Organizer")
    for path in ("attendees", "summary"):
        r = platform.http.get(f"/api/v1/events/00000000-0000-4000-8000-000000000000/{path}", headers=olga.auth)
        assert is_problem(r, 404), r.text
        assert is_problem(platform.http.get(f"/api/v1/events/00000000-0000-4000-8000-000000000000/{path}"), 401)
