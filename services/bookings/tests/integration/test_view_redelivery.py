"""The bookings service's views are idempotent under redelivery: Kafka's again, the relay's re-publish."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_redelivery, fresh_database, golden_story

from bookings_service.projections.bookings_view import BookingsView
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.projections.settings_replica import SettingsReplica

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("bookings_redelivery") as name:
        yield InfraSettings().conninfo(name)


def test_bookings_view(conninfo):
    event = uuid4()
    paid = golden_story(["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"],
                        "booking_id", booking_id=uuid4(), event_id=event)
    waiting = golden_story(["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingConfirmed"],
                           "booking_id", booking_id=uuid4(), event_id=event)
    rows = check_redelivery(conninfo, BookingsView, [paid[0], waiting[0], *paid[1:3], *waiting[1:], paid[3]])
    assert sorted(r["status"] for r in rows["bookings_view"]) == ["cancelled", "confirmed"]
    assert all(r["waitlisted_at"] for r in rows["bookings_view"] if r["booking_id"] == waiting[0].aggregate_id)


def test_catalogue_replica(conninfo):
    story = golden_story(["EventCreated", "SeatsReserved", "EventUpdated", "SeatsReleased", "EventCancelled"],
                         "event_id", event_id=uuid4())
    rows = check_redelivery(conninfo, CatalogueReplica, story)
    assert [(r["status"], r["version"]) for r in rows["catalogue_replica"]] == [("cancelled", 5)]


def test_settings_replica(conninfo):
    story = golden_story(["SettingChanged", "SettingChanged"], "key", key="booking_hold_minutes")
    story[1] = story[1].model_copy(update={"payload": {**story[1].payload, "value": 45}})
    rows = check_redelivery(conninfo, SettingsReplica, story)
    assert [(r["key"], r["value"], r["version"]) for r in rows["settings_replica"]] == [
        ("booking_hold_minutes", 45, 2)]
