"""The bookings service's views apply a batch with a few multi-row statements: the rows must be exactly those
of the same messages applied one by one (repeated keys, duplicates and stale versions included)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from bookings_service.projections.bookings_view import BookingsView
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.projections.payments_ledger import PaymentsLedger
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.projections.users_directory import UsersDirectory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("bookings_batches") as name:
        yield InfraSettings().conninfo(name)


def test_bookings_view(conninfo):
    event = uuid4()
    lives = [["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"],
             ["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingWaitlisted", "BookingPromoted",
              "BookingConfirmed"],
             ["BookingRequested", "BookingAwaitingPayment", "BookingExpired", "BookingLatePaymentAccepted",
              "BookingConfirmed"],
             ["BookingRequested", "BookingRejected"],
             ["BookingAwaitingPayment", "BookingConfirmed"],  # its request is not in this topic: no row
             ["BookingRequested"]]
    stories = [golden_story(life, "booking_id", booking_id=uuid4(), event_id=event) for life in lives * 3]
    rows = check_batched(conninfo, BookingsView, mixed_batch(stories))
    assert len(rows["bookings_view"]) == 15
    assert sorted({r["status"] for r in rows["bookings_view"]}) == [
        "cancelled", "confirmed", "pending", "rejected"]


def test_catalogue_replica(conninfo):
    life = ["EventCreated", "SeatsReserved", "SeatsReserved", "EventUpdated", "SeatsRejected", "SeatsReleased",
            "EventCancelled"]
    stories = [golden_story(life[:n], "event_id", event_id=uuid4()) for n in (1, 3, 5, 7, 7)]
    stories.append(golden_story(["SeatsReserved", "EventUpdated"], "event_id", event_id=uuid4()))  # unknown event
    rows = check_batched(conninfo, CatalogueReplica, mixed_batch(stories))
    assert sorted(r["version"] for r in rows["catalogue_replica"]) == [1, 3, 5, 7, 7]


def test_payments_ledger(conninfo):
    lives = [["PaymentRequested", "PaymentSucceeded", "PaymentRefunded"], ["PaymentRequested", "PaymentFailed"],
             ["PaymentRequested", "PaymentVoided"], ["PaymentRequested"]]
    stories = [golden_story(life, "payment_id", payment_id=uuid4(), booking_id=uuid4(), event_id=uuid4())
               for life in lives * 2]
    rows = check_batched(conninfo, PaymentsLedger, mixed_batch(stories))
    assert sorted(r["status"] for r in rows["payments_ledger"]) == sorted(
        ["refunded", "failed", "voided", "pending"] * 2)


def test_users_directory(conninfo):
    stories = [golden_story(["UserRegistered"], "user_id", user_id=uuid4()) for _ in range(4)]
    rows = check_batched(conninfo, UsersDirectory, mixed_batch(stories))
    assert len(rows["users_directory"]) == 4


def test_settings_replica(conninfo):
    story = golden_story(["SettingChanged", "SettingChanged", "SettingReset", "SettingChanged"], "key",
                         key="booking_hold_minutes")
    story[1] = story[1].model_copy(update={"payload": {**story[1].payload, "value": 45}})
    other = golden_story(["SettingChanged", "SettingReset"], "key", key="waitlist_policy")
    rows = check_batched(conninfo, SettingsReplica, mixed_batch([story, other]))
    assert [(r["key"], r["version"]) for r in rows["settings_replica"]] == [
        ("booking_hold_minutes", 4), ("waitlist_policy", 2)]
