"""The attendance view knows what every bookings.v1 message means for a booking's status."""

from __future__ import annotations

import typing

import pytest

from contracts import registered, topics
from contracts.bookings import BookingStatus

from events_service.projections.attendance import CONFIRMED, NOT_ABOUT_A_BOOKING, STATUS_AFTER

pytestmark = pytest.mark.unit


def test_every_bookings_message_has_a_status_so_a_new_one_is_a_conscious_choice():
    on_topic = {type_ for (type_, _), (topic, _) in registered().items() if topic == topics.BOOKINGS}
    assert set(STATUS_AFTER) | NOT_ABOUT_A_BOOKING == on_topic and not set(STATUS_AFTER) & NOT_ABOUT_A_BOOKING


def test_the_statuses_are_the_bookings_services_own_and_only_confirmation_means_attended():
    assert set(STATUS_AFTER.values()) <= set(typing.get_args(BookingStatus))
    assert [t for t, s in STATUS_AFTER.items() if s == CONFIRMED] == ["BookingConfirmed"]
