"""The local views the mailings' filters and the sender read: users (locale, role), events (time, place,
ICS sequence), bookings (status, paid) — built from public messages only, unchanged by redelivery."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from contracts import wrap
from contracts.users import UserProfileUpdated, UserRoleChanged

from notifications_service.testing import START, Story, feed

pytestmark = pytest.mark.api


def one(settings, sql: str, *params):
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute(sql, params).fetchone()


def test_views_follow_a_paid_booking_a_profile_change_and_an_event_move(settings):
    story = Story(paid=True, locale="en")
    conninfo = settings.conninfo(settings.database)
    messages = [*story.booked(), story.event_moved(hours=3),
                wrap(UserProfileUpdated(user_id=story.user_id, locale="ru"), aggregate_id=str(story.user_id),
                     aggregate_version=2),
                wrap(UserRoleChanged(user_id=story.user_id, role="organizer", previous_role="participant"),
                     aggregate_id=str(story.user_id), aggregate_version=3)]
    feed(conninfo, messages)
    feed(conninfo, messages)  # redelivered: same state
    assert one(settings, "SELECT email, locale, role FROM notify_users_view WHERE user_id = %s", story.user_id) == (
        story.email, "ru", "organizer")
    start, end, sequence = one(settings, "SELECT start_time, end_time, schedule_version FROM notify_events_view "
                                         "WHERE event_id = %s", story.event_id)
    assert start == START + timedelta(hours=3) and end - start == timedelta(hours=2) and sequence == story.event_version
    assert one(settings, "SELECT status, is_paid, event_id, user_id FROM notify_bookings_view WHERE booking_id = %s",
               story.booking_id) == ("confirmed", True, story.event_id, story.user_id)


def test_a_waitlisted_then_cancelled_event_shows_in_the_views(settings):
    story = Story()
    feed(settings.conninfo(settings.database), [story.registered(), story.event_created(), story.requested(),
                                                story.waitlisted(4), story.event_cancelled()])
    assert one(settings, "SELECT status, is_paid FROM notify_bookings_view WHERE booking_id = %s",
               story.booking_id) == ("waitlisted", False)
    assert one(settings, "SELECT cancelled FROM notify_events_view WHERE event_id = %s", story.event_id) == (True,)
