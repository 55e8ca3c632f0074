"""The notifications service's local views apply a batch with a few multi-row statements: the rows must be
exactly those of the same messages applied one by one (repeated keys, duplicates and stale versions included)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from notifications_service.projections.support_threads import SupportThreadsView, support_threads_view
from notifications_service.projections.views import BookingsView, EventsView, UsersView

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("notify_batches") as name:
        yield InfraSettings().conninfo(name)


def test_users_view(conninfo):
    lives = [["UserRegistered", "UserRoleChanged", "UserDisabled", "UserProfileUpdated", "UserEnabled"],
             ["UserRegistered", "UserDisabled"], ["UserProfileUpdated", "UserRegistered"], ["UserRoleChanged"]]
    stories = [golden_story(life, "user_id", user_id=uuid4()) for life in lives * 2]
    rows = check_batched(conninfo, UsersView, mixed_batch(stories))
    assert sorted(r["disabled"] for r in rows["notify_users_view"]) == [False] * 4 + [True] * 2


def test_events_view(conninfo):
    stories = []
    for n in range(4):
        story = golden_story(["EventCreated", "EventUpdated", "EventUpdated", "EventCancelled"][: n + 1],
                             "event_id", event_id=uuid4())
        for i, envelope in enumerate(story[1:3], start=1):  # time changes: the new end is read from the row
            changes = {"start_time": f"2025-06-1{i}T18:00:00Z"} if i == 1 else {"duration_minutes": 60 + n}
            story[i] = envelope.model_copy(update={"payload": {**envelope.payload, "changes": changes}})
        stories.append(story)
    rows = check_batched(conninfo, EventsView, mixed_batch(stories))
    assert sorted(r["schedule_version"] for r in rows["notify_events_view"]) == [1, 2, 3, 4]


def test_bookings_view(conninfo):
    lives = [["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"],
             ["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingLatePaymentAccepted"],
             ["BookingConfirmed"], ["BookingRequested"]]
    stories = [golden_story(life, "booking_id", booking_id=uuid4()) for life in lives * 2]
    rows = check_batched(conninfo, BookingsView, mixed_batch(stories))
    assert sorted(r["status"] for r in rows["notify_bookings_view"]) == sorted(
        ["cancelled", "pending", "confirmed", "pending"] * 2)


class _SupportThreads(SupportThreadsView):
    tables = [support_threads_view]  # what the row comparison reads (not a `View`)


def test_support_threads(conninfo):
    lives = [["SupportMessagePosted", "SupportReplied", "SupportThreadAssigned", "SupportThreadClosed",
              "SupportThreadReopened", "SupportMessagePosted"], ["SupportMessagePosted", "SupportThreadClosed"],
             ["SupportThreadAssigned", "SupportReplied"]]
    stories = [golden_story(life, "thread_id", thread_id=uuid4()) for life in lives * 2]
    rows = check_batched(conninfo, _SupportThreads, mixed_batch(stories))
    assert sorted(r["message_count"] for r in rows["support_threads_view"]) == [1, 1, 1, 1, 3, 3]
