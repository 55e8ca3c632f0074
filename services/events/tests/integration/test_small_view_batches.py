"""The events service's smaller views (attendance, reviews, payment methods) apply a batch with a few
multi-row statements: the rows must be exactly those of the same messages applied one by one."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from events_service.projections.attendance import AttendanceProjection
from events_service.projections.payment_methods import PaymentMethodsReplica
from events_service.projections.reviews import ReviewsProjection

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("events_batches") as name:
        yield InfraSettings().conninfo(name)


def test_attendance(conninfo):
    lives = [["BookingRequested", "BookingAwaitingPayment", "BookingConfirmed", "BookingCancelled"],
             ["BookingRequested", "BookingWaitlisted", "BookingPromoted", "BookingConfirmed"],
             ["BookingConfirmed"], ["BookingRequested", "BookingRejected"]]
    stories = [golden_story(life, "booking_id", booking_id=uuid4(), event_id=uuid4()) for life in lives * 2]
    rows = check_batched(conninfo, AttendanceProjection, mixed_batch(stories))
    assert sorted(r["status"] for r in rows["event_bookings"]) == sorted(
        ["cancelled", "confirmed", "confirmed", "rejected"] * 2)


def test_reviews(conninfo):
    event = uuid4()
    lives = [["ReviewSubmitted", "ReviewApproved"], ["ReviewSubmitted", "ReviewRejected"], ["ReviewSubmitted"],
             ["ReviewSubmitted", "ReviewApproved", "ReviewRejected"], ["ReviewApproved"]]
    stories = [golden_story(life, "review_id", review_id=uuid4(), event_id=event) for life in lives * 2]
    rows = check_batched(conninfo, ReviewsProjection, mixed_batch(stories))
    assert sorted(r["status"] for r in rows["reviews"]) == sorted(["approved", "rejected", "pending", "approved"] * 2)
    assert [(r["rating_count"], r["rating_sum"]) for r in rows["event_ratings"]] == [(4, 16)]


def test_payment_methods(conninfo):
    story = golden_story(["PaymentMethodsAvailable"] * 5, "announced_by", announced_by="payments")
    story = [e.model_copy(update={"payload": {**e.payload, "methods": ["card", "cash"][: n % 3]}})
             for n, e in enumerate(story)]
    rows = check_batched(conninfo, PaymentMethodsReplica, mixed_batch([story]))
    assert [(r["version"], r["methods"]) for r in rows["payment_methods"]] == [(5, ["card"])]
