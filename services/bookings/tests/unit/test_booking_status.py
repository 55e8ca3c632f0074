"""A booking's states: the domain's enum and the public vocabulary name the same states, and the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import vocabulary

from bookings_service.api.schemas import BookingPublic
from bookings_service.domain import LIVE, Booking, BookingRules, BookingStatus, EventTerms

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_the_domain_and_the_public_vocabulary_name_the_same_states():
    assert {s.value for s in BookingStatus} == {s.value for s in vocabulary.BookingStatus}


def test_live_states_are_the_first_four_and_the_rest_are_final():
    assert {s for s in BookingStatus if s.is_live} == set(LIVE) == {
        BookingStatus.PENDING, BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED}


def test_a_booking_is_in_a_state_of_the_enum():
    terms = EventTerms(event_id=uuid4(), created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                       is_paid=False, price=None, currency=None, allowed_payment_methods=(), max_participants=10,
                       seats_available=10)
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms, group_size=1, payment_method=None,
                              rules=BookingRules(), now=NOW)
    assert booking.status is BookingStatus.PENDING


def test_the_api_schema_lists_every_state():
    schema = BookingPublic.model_json_schema()
    status = schema["$defs"][schema["properties"]["status"]["$ref"].rsplit("/", 1)[-1]]
    assert status["enum"] == [s.value for s in BookingStatus]
