"""An event's box office: GET /api/v1/events/{id}/attendees (JSON and CSV) and /summary, served from this
service's views (bookings, the users directory from users.v1, the payments ledger from payments.v1)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import SeatsRejected, SeatsReserved
from contracts.payments import PaymentRefunded, PaymentRequested, PaymentSucceeded
from contracts.users import UserRegistered
from spine.projector import apply_in_transaction
from webkit.testing import assert_problem as problem

from bookings_service.projections.payments_ledger import PaymentsLedger
from bookings_service.projections.users_directory import UsersDirectory
from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.api

URL = "/api/v1/events/{}/"
EVIL = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture
def feed(settings):
    def apply(view, *payloads_and_versions):
        envelopes = [wrap(p, aggregate_id=str(getattr(p, "payment_id", getattr(p, "user_id", None))),
                          aggregate_version=v) for p, v in payloads_and_versions]
        apply_in_transaction(settings.conninfo(settings.database), view, envelopes)
    return apply


def register(feed, who, name, email):
    feed(UsersDirectory(), (UserRegistered(user_id=who.user_id, email=email, full_name=name, role=who.role,
                                           registered_at=datetime.now(UTC)), 1))


def book(client, who, event_id, method="cash", group_size=1):
    r = client.post("/api/v1/bookings/", json={"event_id": event_id, "group_size": group_size,
                                               "payment_method": method}, headers=who.headers)
    assert r.status_code == 202, r.text
    return r.json()


@pytest.fixture
def sold(client, issuer, catalogue, organizer, saga, view, feed):
    """A paid event (cash at the door or sandbox): Ada paid by card, Bob holds cash seats, =Evil waits in line."""
    envelope = event_created(organizer=organizer.user_id, is_paid=True, price="25.00", currency="EUR",
                             methods=("cash", "sandbox"), capacity=3)
    catalogue(envelope)
    event_id = envelope.payload["event_id"]
    ada, bob, evil = (caller(issuer, "participant") for _ in range(3))
    register(feed, ada, "Ada Lovelace", "ada@example.com")
    register(feed, bob, "Bob Builder", "bob@example.com")
    register(feed, evil, EVIL, "-evil@example.com")
    paid = book(client, ada, event_id, "sandbox")
    cash = book(client, bob, event_id, "cash", group_size=2)
    waiting = book(client, evil, event_id, "cash")
    answers = (seat_message(SeatsReserved(event_id=event_id, booking_id=paid["id"], seats=1, seats_available=2), 2),
               seat_message(SeatsReserved(event_id=event_id, booking_id=cash["id"], seats=2, seats_available=0), 3),
               seat_message(SeatsRejected(event_id=event_id, booking_id=waiting["id"], seats=1, reason="full",
                                          seats_available=0), 4))
    saga(*answers)
    catalogue(*answers)
    bookings = client.app.state.container.bookings
    paid_payment = bookings.get_booking(paid["id"]).payment_id
    saga(wrap(PaymentSucceeded(payment_id=paid_payment, booking_id=paid["id"], user_id=ada.user_id,
                               amount=Decimal("25.00"), currency="EUR"), aggregate_id=str(paid_payment)))
    view()
    cash_payment = bookings.get_booking(cash["id"]).payment_id
    refunded_payment = uuid4()  # an earlier booking's payment, refunded (its booking is not in this test)
    common = {"event_id": event_id, "currency": "EUR", "provider": "sandbox"}
    feed(PaymentsLedger(),
         (PaymentRequested(payment_id=paid_payment, booking_id=paid["id"], user_id=ada.user_id,
                           amount=Decimal("25.00"), payment_method="sandbox", **common), 1),
         (PaymentSucceeded(payment_id=paid_payment, booking_id=paid["id"], user_id=ada.user_id,
                           amount=Decimal("25.00"), currency="EUR"), 2),
         (PaymentRequested(payment_id=cash_payment, booking_id=cash["id"], user_id=bob.user_id,
                           amount=Decimal("50.00"), payment_method="cash", **common), 1),
         (PaymentRequested(payment_id=refunded_payment, booking_id=uuid4(), user_id=ada.user_id,
                           amount=Decimal("25.00"), payment_method="sandbox", **common), 1),
         (PaymentSucceeded(payment_id=refunded_payment, user_id=ada.user_id, amount=Decimal("25.00"),
                           currency="EUR"), 2),
         (PaymentRefunded(payment_id=refunded_payment, user_id=ada.user_id, amount=Decimal("20.00"),
                          currency="EUR", reason="booking_user"), 3))
    return {"event_id": event_id, "paid": paid, "cash": cash, "waiting": waiting, "cash_payment": cash_payment,
            "start": envelope.payload["start_time"]}


def test_the_organizer_sees_who_booked_with_names_and_payment_status(client, sold, organizer):
    r = client.get(URL.format(sold["event_id"]) + "attendees", headers=organizer.headers)
    assert r.status_code == 200, r.text
    assert r.headers["X-Total-Count"] == "3"
    rows = r.json()
    assert [(a["full_name"], a["email"], a["group_size"], a["status"], a["payment_status"]) for a in rows] == [
        ("Ada Lovelace", "ada@example.com", 1, "confirmed", "succeeded"),
        ("Bob Builder", "bob@example.com", 2, "awaiting_payment", "pending"),
        (EVIL, "-evil@example.com", 1, "waitlisted", None)]
    assert rows[0]["confirmed_at"] is not None and rows[1]["confirmed_at"] is None
    assert rows[1]["payment_id"] == str(sold["cash_payment"]) and rows[1]["amount"] == "50.00"
    page = client.get(URL.format(sold["event_id"]) + "attendees", params={"limit": 1, "offset": 1},
                      headers=organizer.headers)
    assert [a["email"] for a in page.json()] == ["bob@example.com"] and 'rel="next"' in page.headers["Link"]
    waiting = client.get(URL.format(sold["event_id"]) + "attendees", params={"status": "waitlisted"},
                         headers=organizer.headers).json()
    assert [a["booking_id"] for a in waiting] == [sold["waiting"]["id"]]


@pytest.mark.parametrize("how", ["format", "accept"])
def test_the_attendee_list_exports_as_csv_without_formulas(client, sold, organizer, how):
    url = URL.format(sold["event_id"]) + "attendees"
    r = (client.get(url, params={"format": "csv"}, headers=organizer.headers) if how == "format" else
         client.get(url, headers={**organizer.headers, "Accept": "text/csv"}))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["full_name"], row["email"], row["status"], row["payment_status"]) for row in rows] == [
        ("Ada Lovelace", "ada@example.com", "confirmed", "succeeded"),
        ("Bob Builder", "bob@example.com", "awaiting_payment", "pending"),
        ("'" + EVIL, "'-evil@example.com", "waitlisted", "")]
    assert rows[1]["group_size"] == "2" and rows[1]["amount"] == "50.00"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_the_attendee_list_is_for_the_organizer_and_staff(client, issuer, sold, support, admin, someone):
    url = URL.format(sold["event_id"]) + "attendees"
    assert client.get(url, headers=support.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200
    problem(client.get(url, headers=caller(issuer, "organizer").headers), 403)
    problem(client.get(url, headers=someone.headers), 403)
    problem(client.get(url, params={"format": "csv"}, headers=someone.headers), 403)
    problem(client.get(url), 401)
    problem(client.get(URL.format(uuid4()) + "attendees", headers=admin.headers), 404)
    problem(client.get(url, params={"format": "xlsx"}, headers=admin.headers), 422)
    problem(client.get(url, params={"limit": 0}, headers=admin.headers), 422)
    problem(client.get(URL.format("nope") + "attendees", headers=admin.headers), 422)


def test_the_sales_summary_adds_up_seats_line_and_money(client, sold, organizer):
    r = client.get(URL.format(sold["event_id"]) + "summary", headers=organizer.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["seats"] == {"capacity": 3, "confirmed": 1, "held": 2, "pending": 0, "free": 0}
    assert s["waitlist"] == {"bookings": 1, "seats": 1}
    assert s["bookings"] == {"confirmed": 1, "awaiting_payment": 1, "waitlisted": 1}
    assert s["revenue"] == [{"currency": "EUR", "payment_method": "sandbox", "payments": 2, "gross": "50.00",
                             "refunded": "20.00", "net": "30.00"}]
    assert s["refunds"] == [{"currency": "EUR", "refunds": 1, "amount": "20.00"}]


def test_the_sales_summary_is_for_the_organizer_and_admins(client, issuer, sold, support, admin, someone):
    url = URL.format(sold["event_id"]) + "summary"
    assert client.get(url, headers=admin.headers).status_code == 200
    problem(client.get(url, headers=support.headers), 403)
    problem(client.get(url, headers=caller(issuer, "organizer").headers), 403)
    problem(client.get(url, headers=someone.headers), 403)
    problem(client.get(url), 401)
    problem(client.get(URL.format(uuid4()) + "summary", headers=admin.headers), 404)


def test_a_cash_booking_is_held_until_the_event_starts(client, sold, issuer):
    """Paying at the door cannot happen within booking_hold_minutes: the hold lasts until the start."""
    start = sold["start"]
    start = datetime.fromisoformat(start.replace("Z", "+00:00")) if isinstance(start, str) else start
    bookings = client.app.state.container.bookings
    assert bookings.get_booking(sold["cash"]["id"]).expires_at == start
    paid_hold = bookings.get_booking(sold["paid"]["id"])
    assert paid_hold.status == "confirmed"  # the card booking was held the usual 15 minutes, and paid
