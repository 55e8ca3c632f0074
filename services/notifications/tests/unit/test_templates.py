"""Every notification kind renders in Russian and English; HTML is escaped; the calendar file parses back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from icalendar import Calendar

from notifications_service.delivery.calendar import booking_calendar, booking_uid
from notifications_service.delivery.render import Renderer
from notifications_service.domain.triggers import HANDLERS, triggers_for

pytestmark = pytest.mark.unit

START = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
EVENT = {"title": "Rock & <Roll>", "start_time": START, "end_time": START + timedelta(hours=2), "place": "Hall 1",
         "max_participants": 10, "schedule_version": 1}
USER = {"full_name": "Ada <b>", "email": "ada@example.com", "locale": "en"}
DATA = {"position": 3, "group_size": 2, "expires_at": START.isoformat(), "amount": "10.00", "currency": "EUR",
        "reason": "card_declined", "content": "Hi <there>", "changes": {"start_time": START.isoformat()}}
KINDS = sorted({t.kind for name in HANDLERS for t in triggers_for(name, {
    "user_id": uuid4(), "event_id": uuid4(), "booking_id": uuid4(), "author_id": uuid4(), "amount": "1",
    "changes": {"start_time": START.isoformat()}, "reason": "x"})})


def test_every_handled_kind_has_templates_in_both_languages():
    renderer = Renderer()
    assert len(KINDS) >= 16
    assert [k for k in KINDS if not renderer.has(k)] == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_each_kind_renders_subject_text_and_escaped_html(kind, locale):
    out = Renderer().render(kind, locale, {"user": USER, "event": EVENT, "booking": {"status": "confirmed"},
                                           "data": DATA})
    assert out.subject and "\n" not in out.subject and out.text.strip()
    assert "<b>" not in out.html and "<Roll>" not in out.html and "<there>" not in out.html
    assert out.locale == locale


def test_the_language_follows_the_locale_and_unknown_ones_fall_back():
    ctx = {"user": USER, "event": EVENT, "booking": None, "data": DATA}
    assert Renderer().render("booking_confirmed", "ru", ctx).subject.startswith("Бронирование подтверждено")
    assert Renderer().render("booking_confirmed", "en", ctx).subject.startswith("Booking confirmed")
    assert Renderer("ru").render("welcome", None, ctx).locale == "ru"
    assert Renderer("en").render("welcome", "de", ctx).locale == "en"


def test_the_calendar_file_parses_back_with_a_stable_uid_and_the_given_sequence():
    booking = uuid4()
    first = Calendar.from_ical(booking_calendar(booking_id=booking, event=EVENT, sequence=1))
    moved = Calendar.from_ical(booking_calendar(booking_id=booking, event={**EVENT, "start_time": START + timedelta(
        days=1), "end_time": START + timedelta(days=1, hours=2)}, sequence=5))
    cancel = Calendar.from_ical(booking_calendar(booking_id=booking, event=EVENT, sequence=6, cancel=True))
    events = [c.walk("VEVENT")[0] for c in (first, moved, cancel)]
    assert {str(e["UID"]) for e in events} == {booking_uid(booking)}
    assert [int(e["SEQUENCE"]) for e in events] == [1, 5, 6]
    assert events[0].decoded("DTSTART") == START and str(events[0]["SUMMARY"]) == "Rock & <Roll>"
    assert [str(c["METHOD"]) for c in (first, moved, cancel)] == ["PUBLISH", "PUBLISH", "CANCEL"]


def test_support_and_review_hooks_are_keyed_by_type_name():
    user = uuid4()
    assert [t.kind for t in triggers_for("SupportReplied", {"user_id": user, "thread_id": uuid4(),
                                                                "content": "x"})] == ["support_reply"]
    assert [t.kind for t in triggers_for("ReviewApproved", {"author_id": user})] == ["review_approved"]
    rejected = triggers_for("ReviewRejected", {"author_id": user, "reason": "spam"})
    assert [t.kind for t in rejected] == ["review_rejected"]
    assert triggers_for("SomethingNobodyKnows", {}) == []


def test_an_event_change_nobody_cares_about_sends_nothing():
    assert triggers_for("EventUpdated", {"event_id": uuid4(), "changes": {"description": "typo"}}) == []
    assert triggers_for("BookingCancelled", {"user_id": uuid4(), "reason": "event_cancelled"}) == []
