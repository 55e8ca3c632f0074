"""The box-office rules over HTTP and through the saga: cancellation deadline and refund fee, per-user
limits (race-safe for one user's concurrent requests), the waitlist cap, capacity cuts, and settings
values that could once strand a booking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import UUID

import pytest

from authkit.testing import caller
from contracts import wrap
from contracts.events import EventUpdated, SeatsRejected, SeatsReserved
from contracts.payments import PaymentSucceeded, RefundPayment
from contracts.users import SettingChanged
from spine.projector import apply_in_transaction
from webkit.testing import assert_problem as problem

from bookings_service import public
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"
VERSIONS = count(100)


@pytest.fixture
def setting(client, settings):
    """Put setting values into the replica, as users.v1 SettingChanged would, and read them at once."""
    rules = client.app.state.container.rules
    rules.refresh_seconds = 0

    def put(**values) -> None:
        apply_in_transaction(settings.conninfo(settings.database), SettingsReplica(), [
            wrap(SettingChanged(key=k, type="number", value=v), aggregate_id=k, aggregate_version=next(VERSIONS))
            for k, v in values.items()])

    yield put
    put(refund_fee_percent=0, cancellation_deadline_hours=24, booking_hold_minutes=15, max_waitlist_length=1000,
        max_seats_per_user_per_event=10, max_pending_payments_per_user=5)


def paid_event(catalogue, organizer, **kw) -> str:
    envelope = event_created(organizer=organizer.user_id, is_paid=True, price="25.00", currency="EUR",
                             methods=("sandbox",), **kw)
    catalogue(envelope)
    return envelope.payload["event_id"]


def book(client, who, event_id, group_size=1, method=None):
    body = {"event_id": event_id, "group_size": group_size, **({"payment_method": method} if method else {})}
    return client.post(URL, json=body, headers=who.headers)


def confirm_paid(client, saga, who, event_id, group_size=2) -> dict:
    booking = book(client, who, event_id, group_size, "sandbox").json()
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=booking["id"], seats=group_size,
                                    seats_available=5), next(VERSIONS)))
    held = client.get(f"{URL}{booking['id']}", headers=who.headers).json()
    paid = PaymentSucceeded(payment_id=held["payment_id"], booking_id=booking["id"], user_id=who.user_id,
                            amount=Decimal(held["amount"]), currency="EUR")
    saga(wrap(paid, aggregate_id=held["payment_id"], aggregate_version=2))
    confirmed = client.get(f"{URL}{booking['id']}", headers=who.headers).json()
    assert confirmed["status"] == "confirmed"
    return confirmed


def refunds_asked(client, booking_id: str) -> list[RefundPayment]:
    """The payment commands the relay publishes for this booking's stored events."""
    stored = client.app.state.container.bookings.events.get(UUID(booking_id))
    return [c for c in map(public.to_payment_command, stored) if isinstance(c, RefundPayment)]


# --- cancellation deadline and refund fee ------------------------------------------------------------

def test_a_participant_cannot_cancel_after_the_deadline_and_the_problem_says_when_it_was(
        client, catalogue, organizer, participant, admin, saga, setting):
    event = event_created(organizer=organizer.user_id, starts_in=timedelta(hours=10))
    catalogue(event)
    event_id = event.payload["event_id"]
    booking = book(client, participant, event_id).json()
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=booking["id"], seats=1, seats_available=9), 2))
    body = problem(client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers), 409)
    deadline = datetime.fromisoformat(body["cancellation_deadline"])
    assert body["type"] == "/docs/problems#cancellation-deadline-passed"
    assert deadline == datetime.fromisoformat(event.payload["start_time"]) - timedelta(hours=24)
    assert client.get(f"{URL}{booking['id']}", headers=participant.headers).json()["status"] == "confirmed"

    setting(cancellation_deadline_hours=2)  # the deadline is a setting: 2 h before the start is still ahead
    cancelled = client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers)
    assert cancelled.status_code == 200 and cancelled.json()["reason"] == "user"


def test_an_admin_cancels_after_the_deadline_with_a_full_refund(client, catalogue, organizer, participant, admin,
                                                                saga, setting):
    setting(refund_fee_percent=10)
    event_id = paid_event(catalogue, organizer, starts_in=timedelta(hours=3))
    booking = confirm_paid(client, saga, participant, event_id)
    problem(client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers), 409)
    response = client.post(f"{URL}{booking['id']}/cancel", headers=admin.headers)
    assert response.status_code == 200 and response.json()["reason"] == "admin"
    (refund,) = refunds_asked(client, booking["id"])
    assert refund.amount is None and refund.payment_id == UUID(booking["payment_id"])


def test_a_participants_cancellation_refunds_the_price_less_the_fee(client, catalogue, organizer, participant,
                                                                   saga, setting):
    setting(refund_fee_percent=12.5)
    event_id = paid_event(catalogue, organizer)
    booking = confirm_paid(client, saga, participant, event_id, group_size=2)  # 50.00 EUR
    assert client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers).status_code == 200
    (refund,) = refunds_asked(client, booking["id"])
    assert refund.amount == Decimal("43.75") and refund.reason == "user"


# --- per-user limits ---------------------------------------------------------------------------------

def test_one_account_cannot_hold_more_than_its_share_of_an_event(client, catalogue, organizer, issuer, setting):
    setting(max_seats_per_user_per_event=4)
    event = event_created(organizer=organizer.user_id, capacity=50)
    catalogue(event)
    event_id = event.payload["event_id"]
    me = caller(issuer, "participant")
    first = book(client, me, event_id, 3)
    assert first.status_code == 202
    body = problem(book(client, me, event_id, 2), 409)
    assert (body["type"], body["limit"], body["seats_held"]) == ("/docs/problems#too-many-seats-for-user", 4, 3)
    assert book(client, me, event_id, 1).status_code == 202
    assert book(client, caller(issuer, "participant"), event_id, 4).status_code == 202  # someone else
    # Cancelling gives the share back.
    assert client.post(f"{URL}{first.json()['id']}/cancel", headers=me.headers).status_code == 200
    assert book(client, me, event_id, 3).status_code == 202


def test_one_users_concurrent_requests_cannot_overshoot_the_seat_limit(client, catalogue, organizer, issuer,
                                                                       setting):
    setting(max_seats_per_user_per_event=3)
    event = event_created(organizer=organizer.user_id, capacity=50)
    catalogue(event)
    me = caller(issuer, "participant")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: book(client, me, event.payload["event_id"]), range(8)))
    assert sorted(r.status_code for r in answers) == [202] * 3 + [409] * 5


def test_unpaid_bookings_are_limited_per_user_even_across_events_at_once(client, catalogue, organizer, issuer,
                                                                         setting):
    setting(max_pending_payments_per_user=3)
    events = [paid_event(catalogue, organizer) for _ in range(8)]
    me = caller(issuer, "participant")
    # Different events take different locks: only the user's ledger keeps these requests apart.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda e: book(client, me, e, 1, "sandbox"), events))
    assert sorted(r.status_code for r in answers) == [202] * 3 + [429] * 5
    refused = next(r for r in answers if r.status_code == 429)
    body = problem(refused, 429)
    assert (body["type"], body["limit"], body["pending_payments"]) == ("/docs/problems#too-many-pending-payments", 3,
                                                                    3)
    free = event_created(organizer=organizer.user_id)
    catalogue(free)
    assert book(client, me, free.payload["event_id"]).status_code == 202  # free events owe nothing


def test_paying_frees_a_pending_payment_slot(client, catalogue, organizer, participant, saga, setting):
    setting(max_pending_payments_per_user=1)
    first, second = paid_event(catalogue, organizer), paid_event(catalogue, organizer)
    booking = book(client, participant, first, 1, "sandbox").json()
    problem(book(client, participant, second, 1, "sandbox"), 429)
    client.post(f"{URL}{booking['id']}/cancel", headers=participant.headers)
    assert book(client, participant, second, 1, "sandbox").status_code == 202


# --- the waitlist: its cap, and capacity cuts ---------------------------------------------------------

def test_a_full_waitlist_turns_new_bookings_away(client, catalogue, organizer, issuer, saga, setting):
    setting(max_waitlist_length=2)
    event = event_created(organizer=organizer.user_id, capacity=1)
    catalogue(event)
    event_id = event.payload["event_id"]
    head = book(client, caller(issuer, "participant"), event_id).json()
    saga(seat_message(SeatsRejected(event_id=event_id, booking_id=head["id"], seats=1, reason="full",
                                    seats_available=0), 2))
    assert book(client, caller(issuer, "participant"), event_id).json()["waitlist_position"] == 2
    body = problem(book(client, caller(issuer, "participant"), event_id), 409)
    assert body["type"] == "/docs/problems#waitlist-full"


def test_a_capacity_cut_rejects_groups_that_can_never_fit_and_the_line_moves_on(
        client, catalogue, organizer, issuer, saga, setting):
    setting(max_seats_per_user_per_event=10)
    event = event_created(organizer=organizer.user_id, capacity=6)
    catalogue(event)
    event_id = event.payload["event_id"]
    holder, big, small = (caller(issuer, "participant") for _ in range(3))
    seated = book(client, holder, event_id, 5).json()
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=seated["id"], seats=5, seats_available=1), 2))
    waiting_big = book(client, big, event_id, 6).json()
    saga(seat_message(SeatsRejected(event_id=event_id, booking_id=waiting_big["id"], seats=6, reason="full",
                                    seats_available=1), 3))
    waiting_small = book(client, small, event_id, 1).json()
    assert waiting_small["status"] == "waitlisted"  # behind the big group, which blocks the line

    cut = wrap(EventUpdated(event_id=event_id, changes={"max_participants": 5}, seats_available=0,
                            updated_at=datetime.now(UTC)), aggregate_id=event_id, aggregate_version=4)
    catalogue(cut)
    saga(cut)
    rejected = client.get(f"{URL}{waiting_big['id']}", headers=big.headers).json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "capacity_reduced")
    assert client.get(f"{URL}{waiting_small['id']}", headers=small.headers).json()["waitlist_position"] == 1
    # And a group the event can no longer hold is refused at once.
    refused = problem(book(client, caller(issuer, "participant"), event_id, 6), 422)
    assert refused["type"] == "/docs/problems#group-size-out-of-range"


# --- settings values that once stranded bookings ------------------------------------------------------

def test_an_absurd_hold_setting_still_holds_the_seats_with_a_bounded_deadline(
        client, catalogue, organizer, participant, saga, setting):
    setting(booking_hold_minutes=10_000_000_000)
    event_id = paid_event(catalogue, organizer)
    booking = book(client, participant, event_id, 1, "sandbox").json()
    before = datetime.now(UTC)
    saga(seat_message(SeatsReserved(event_id=event_id, booking_id=booking["id"], seats=1, seats_available=9), 2))
    held = client.get(f"{URL}{booking['id']}", headers=participant.headers).json()
    assert held["status"] == "awaiting_payment"
    assert before + timedelta(days=7) <= datetime.fromisoformat(held["expires_at"]) <= datetime.now(UTC) + \
        timedelta(days=7)
