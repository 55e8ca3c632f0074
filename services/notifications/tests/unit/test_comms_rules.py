"""Domain rules of mailings, unsubscribe tokens and support threads (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from notifications_service.domain import mailing, support, unsubscribe

pytestmark = pytest.mark.unit

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def test_admins_address_anyone_organizers_only_their_events():
    admin, organizer = mailing.Sender(uuid4(), True), mailing.Sender(uuid4(), False)
    mailing.check_audience(admin, None, None)
    event_id = uuid4()
    mailing.check_audience(organizer, event_id, organizer.user_id)
    for event, owner in ((None, None), (event_id, uuid4()), (event_id, None)):
        with pytest.raises(mailing.AudienceNotAllowed):
            mailing.check_audience(organizer, event, owner)


def test_schedule_defaults_to_now_and_refuses_the_past():
    assert mailing.check_schedule(None, NOW) == NOW
    assert mailing.check_schedule(NOW + timedelta(hours=1), NOW) == NOW + timedelta(hours=1)
    assert mailing.check_schedule(NOW - timedelta(seconds=5), NOW) == NOW  # clock skew is "now"
    with pytest.raises(mailing.ScheduleInPast):
        mailing.check_schedule(NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize("status", ["sending", "completed", "cancelled"])
def test_only_a_scheduled_mailing_can_be_cancelled(status):
    mailing.check_cancellable("scheduled")
    with pytest.raises(mailing.MailingAlreadyStarted):
        mailing.check_cancellable(status)


def test_unsubscribe_tokens_round_trip_and_cannot_be_forged():
    user_id = uuid4()
    token = unsubscribe.sign(b"secret", user_id, "mailings")
    assert unsubscribe.verify(b"secret", token) == (user_id, "mailings")
    for bad in (unsubscribe.sign(b"other", user_id, "mailings"), token[:-2] + "xx", "nodot", "a.b",
                unsubscribe.sign(b"secret", user_id, "mailings").replace(".", "x.", 1)):
        with pytest.raises(unsubscribe.InvalidUnsubscribeToken):
            unsubscribe.verify(b"secret", bad)


def test_a_thread_takes_messages_and_replies_until_closed():
    requester = support.SupportRequester(user_id=uuid4())
    thread = requester.start_thread()
    thread.post("Hello")
    thread.reply(uuid4(), "Hi, how can we help?")
    assert [m["author"] for m in thread.messages] == ["user", "support"]
    thread.close(by=requester.user_id)
    requester.thread_closed(thread.id)
    with pytest.raises(support.ThreadClosed):
        thread.reply(uuid4(), "Still there?")
    with pytest.raises(support.ThreadClosed):
        thread.close(by=requester.user_id)
    second = requester.start_thread()
    assert second.id != thread.id and requester.open_thread_id == second.id
    with pytest.raises(support.OpenThreadExists):
        requester.thread_reopened(thread.id)


@pytest.mark.parametrize("content", ["", " \n\t", "x" * (support.MAX_CONTENT + 1)])
def test_blank_or_oversized_messages_are_refused(content):
    thread = support.SupportRequester(user_id=uuid4()).start_thread()
    with pytest.raises(support.InvalidContent):
        thread.post(content)
    assert thread.messages == []
