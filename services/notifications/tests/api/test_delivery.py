"""From public messages to e-mails in a real SMTP sink (aiosmtpd Maildir) and the user's inbox: language,
calendar files, exactly once under redelivery, retries then `failed` when SMTP is down."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import psycopg
import pytest
from icalendar import Calendar

from contracts import Envelope

from notifications_service.delivery.calendar import booking_uid
from notifications_service.testing import START, Story, calendar_of, feed, mails

pytestmark = pytest.mark.api

URL = "/api/v1/notifications/"


def inbox(client, who, **params) -> list[dict]:
    r = client.get(URL, params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()


def rows(settings, user_id) -> list[tuple]:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute("SELECT kind, channel, status, attempts, last_error FROM notifications WHERE user_id = %s"
                            " ORDER BY kind, channel", (user_id,)).fetchall()


def test_a_confirmed_paid_booking_mails_a_calendar_file_that_icalendar_parses_back(
        client, settings, smtp_sink, deliver, participant):
    story = Story(participant.user_id, paid=True)
    feed(settings.conninfo(settings.database), story.booked())
    deliver()
    got = mails(smtp_sink[1], to=story.email)
    subjects = sorted(str(m["Subject"]) for m in got)
    assert subjects == sorted(["Welcome to Event Planner, Ada Lovelace", "Please pay for your booking: PyCon meetup",
                               "Payment received: 10.00 EUR", "Booking confirmed: PyCon meetup"])
    confirmation = next(m for m in got if str(m["Subject"]).startswith("Booking confirmed"))
    assert confirmation.get_body(("html",)) is not None and confirmation.get_body(("plain",)) is not None
    calendar = Calendar.from_ical(calendar_of(confirmation))
    entry = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(entry["UID"]) == booking_uid(story.booking_id)
    assert entry.decoded("DTSTART") == START and entry.decoded("DTEND") == START + timedelta(hours=2)
    assert str(entry["SUMMARY"]) == "PyCon meetup"
    # The same file at GET /api/v1/bookings/{id}/calendar.ics, for the owner.
    r = client.get(f"/api/v1/bookings/{story.booking_id}/calendar.ics", headers=participant.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    served = Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert str(served["UID"]) == str(entry["UID"]) and int(served["SEQUENCE"]) == int(entry["SEQUENCE"])
    # In-app twins of every e-mail, newest first.
    listed = inbox(client, participant)
    assert {n["channel"] for n in listed} == {"email", "in_app"} and len(listed) == 8
    assert [n["created_at"] for n in listed] == sorted((n["created_at"] for n in listed), reverse=True)
    assert all(n["status"] in ("sent", "delivered") for n in listed)


def test_russian_for_a_ru_user_and_english_for_an_en_user(settings, smtp_sink, deliver, issuer):
    ru, en = Story(locale="ru"), Story(locale="en")
    feed(settings.conninfo(settings.database), [*ru.booked(), *en.booked()])
    deliver()
    ru_subjects = {str(m["Subject"]) for m in mails(smtp_sink[1], to=ru.email)}
    en_subjects = {str(m["Subject"]) for m in mails(smtp_sink[1], to=en.email)}
    assert "Бронирование подтверждено: PyCon meetup" in ru_subjects
    assert "Booking confirmed: PyCon meetup" in en_subjects
    ru_body = next(m for m in mails(smtp_sink[1], to=ru.email) if "подтверждено" in str(m["Subject"]))
    assert "Здравствуйте" in ru_body.get_body(("plain",)).get_content()


def test_redelivered_messages_make_no_second_notification_or_email(settings, smtp_sink, deliver):
    story = Story()
    messages = story.booked()
    conninfo = settings.conninfo(settings.database)
    feed(conninfo, messages)
    deliver()
    first = len(mails(smtp_sink[1], to=story.email))
    before = rows(settings, story.user_id)
    feed(conninfo, messages)  # the same events again (applied directly: only the outbox's unique key guards)
    feed(conninfo, messages)
    deliver()
    assert rows(settings, story.user_id) == before
    assert len(mails(smtp_sink[1], to=story.email)) == first == 2  # welcome + confirmation


def test_message_ids_derive_from_the_notification(settings, smtp_sink, deliver):
    story = Story()
    feed(settings.conninfo(settings.database), story.booked())
    deliver()
    ids = {str(m["Message-ID"]) for m in mails(smtp_sink[1], to=story.email)}
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        expected = {f"<{r[0]}@event-planner>" for r in conn.execute(
            "SELECT notification_id FROM notifications WHERE user_id = %s AND channel = 'email'",
            (story.user_id,)).fetchall()}
    assert ids == expected


def test_a_moved_event_sends_the_same_uid_with_a_higher_sequence_and_a_cancellation_sends_cancel(
        settings, smtp_sink, deliver):
    story = Story()
    conninfo = settings.conninfo(settings.database)
    for step in (story.booked(), [story.event_moved(hours=24)], [story.event_cancelled()]):
        feed(conninfo, step)
        deliver()
    got = {str(m["Subject"]).split(":")[0]: m for m in mails(smtp_sink[1], to=story.email)}
    confirmed, changed, cancelled = (Calendar.from_ical(calendar_of(got[k])) for k in
                                     ("Booking confirmed", "Event changed", "Event cancelled"))
    entries = [c.walk("VEVENT")[0] for c in (confirmed, changed, cancelled)]
    assert {str(e["UID"]) for e in entries} == {booking_uid(story.booking_id)}
    sequences = [int(e["SEQUENCE"]) for e in entries]
    assert sequences[0] < sequences[1] < sequences[2]
    assert entries[1].decoded("DTSTART") == START + timedelta(hours=24)
    assert [str(c["METHOD"]) for c in (confirmed, changed, cancelled)] == ["PUBLISH", "PUBLISH", "CANCEL"]


def test_smtp_down_is_retried_then_marked_failed_and_shown(client, settings, mail_settings, deliver, participant):
    story = Story(participant.user_id)
    feed(settings.conninfo(settings.database), [story.registered()])
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens here once the socket closes
    down = mail_settings.model_copy(update={"smtp_port": closed_port, "send_max_attempts": 3})
    deliver(down)
    assert rows(settings, story.user_id) == [("welcome", "email", "failed", 3, rows(settings, story.user_id)[0][4]),
                                             ("welcome", "in_app", "delivered", 0, None)]
    assert "Connect" in rows(settings, story.user_id)[0][4] or "refused" in rows(settings, story.user_id)[0][4]
    listed = {n["channel"]: n for n in inbox(client, participant)}
    assert listed["email"]["status"] == "failed" and listed["in_app"]["status"] == "delivered"


def test_an_unknown_recipient_waits_for_the_users_topic_then_gets_the_mail(settings, smtp_sink, deliver):
    story = Story()
    conninfo = settings.conninfo(settings.database)
    booked = story.booked()
    feed(conninfo, booked[1:])  # the booking arrives before the user (topics are not ordered between them)
    deliver()
    assert mails(smtp_sink[1], to=story.email) == []
    assert {r[2] for r in rows(settings, story.user_id)} == {"pending"}
    feed(conninfo, booked[:1])
    with psycopg.connect(conninfo) as conn:  # skip the short wait the sender leaves before looking again
        conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE user_id = %s", (story.user_id,))
    deliver()
    assert len(mails(smtp_sink[1], to=story.email)) == 2


def test_support_and_review_hooks_deliver_and_honour_opt_outs(client, settings, smtp_sink, deliver, participant):
    story = Story(participant.user_id)
    conninfo = settings.conninfo(settings.database)
    feed(conninfo, [story.registered(), story.event_created()])
    r = client.put(f"{URL}preferences", json={"reviews": False}, headers=participant.headers)
    assert r.status_code == 200 and r.json()["reviews"] is False
    reply = Envelope(type="SupportReplied", aggregate_id=str(uuid4()), aggregate_version=2,
                     payload={"thread_id": str(uuid4()), "message_id": str(uuid4()), "user_id": str(story.user_id),
                              "author_id": str(uuid4()), "content": "Try <again>",
                              "replied_at": "2026-03-17T08:15:31Z"})
    review = Envelope(type="ReviewApproved", aggregate_id=str(uuid4()), aggregate_version=2,
                      payload={"review_id": str(uuid4()), "event_id": str(story.event_id),
                               "author_id": str(story.user_id), "rating": 5, "moderator_id": str(uuid4()),
                               "decided_at": "2026-03-17T08:15:31Z"})
    feed(conninfo, [reply, review])
    deliver()
    subjects = {str(m["Subject"]) for m in mails(smtp_sink[1], to=story.email)}
    assert "Support replied to your question" in subjects
    assert not any("review" in s for s in subjects)  # opted out of review e-mails...
    kinds = {(n["kind"], n["channel"]) for n in inbox(client, participant)}
    assert ("review_approved", "in_app") in kinds  # ...but it is still in the inbox
    html = next(m for m in mails(smtp_sink[1], to=story.email) if "Support" in str(m["Subject"]))
    assert "Try &lt;again&gt;" in html.get_body(("html",)).get_content()
    # The skipped e-mail copy is not in the inbox, so it cannot be marked read either.
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        skipped = conn.execute("SELECT notification_id FROM notifications WHERE user_id = %s AND status = 'skipped'",
                               (story.user_id,)).fetchone()[0]
    r = client.post(f"{URL}{skipped}/read", headers=participant.headers)
    assert r.status_code == 404, r.text


def test_events_older_than_the_max_age_notify_nobody(settings, smtp_sink, deliver):
    """A replay from offset 0 (reset position, new consumer group) must not mail anyone their history."""
    from datetime import UTC, datetime

    story = Story()
    old = [m.model_copy(update={"occurred_at": datetime(2020, 1, 1, tzinfo=UTC)}) for m in story.booked()]
    feed(settings.conninfo(settings.database), old)
    deliver()
    assert rows(settings, story.user_id) == [] and mails(smtp_sink[1], to=story.email) == []


def test_a_ready_made_row_is_sent_as_written_with_its_headers(settings, smtp_sink, deliver):
    """The hook mailings use: insert a row with subject/body (and headers in data); the sender sends it as is."""
    from uuid import uuid4 as new_id

    from psycopg.types.json import Jsonb

    story = Story()
    feed(settings.conninfo(settings.database), [story.registered()])
    headers = {"List-Unsubscribe": "<https://example.com/u/1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        conn.execute("INSERT INTO notifications (notification_id, user_id, kind, category, channel, source_event_id,"
                     " source_type, data, subject, body, html) VALUES (%s, %s, 'mailing', 'mailings', 'email', %s,"
                     " 'MailingScheduled', %s, 'Summer <news>', 'Plain body', '<p>Html body</p>')",
                     (new_id(), story.user_id, new_id(), Jsonb({"headers": headers})))
    deliver()
    got = [m for m in mails(smtp_sink[1], to=story.email) if str(m["Subject"]) == "Summer <news>"]
    assert len(got) == 1
    assert got[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got[0].get_body(("plain",)).get_content().strip() == "Plain body"


def _step(story: Story, kind: str) -> list[Envelope]:
    """The public message(s) after which `kind` is due, for a registered user with a requested booking."""
    from decimal import Decimal

    from contracts import wrap
    from contracts.bookings import BookingCancelled, BookingExpired, BookingRejected
    from contracts.payments import PaymentFailed, PaymentRefunded

    ids = {"booking_id": story.booking_id, "event_id": story.event_id, "user_id": story.user_id}
    pay = {"payment_id": story.payment_id, "booking_id": story.booking_id, "user_id": story.user_id}
    steps = {
        "booking_waitlisted": lambda: [story.waitlisted(position=3)],
        "booking_promoted": lambda: [story.waitlisted(), story.promoted()],
        "booking_awaiting_payment": lambda: [story.awaiting_payment()],
        "booking_expired": lambda: [story.awaiting_payment(), story._booking(BookingExpired(**ids))],
        "booking_rejected": lambda: [story._booking(BookingRejected(**ids, reason="not_bookable"))],
        "booking_cancelled": lambda: [story.confirmed(), story._booking(BookingCancelled(**ids, reason="user"))],
        "payment_succeeded": lambda: [story.payment_succeeded()],
        "payment_failed": lambda: [wrap(PaymentFailed(**pay, reason="card_declined"),
                                        aggregate_id=str(story.payment_id), aggregate_version=2)],
        "refund_issued": lambda: [wrap(PaymentRefunded(**pay, amount=Decimal("10.00"), currency="EUR",
                                                       reason="booking_cancelled"),
                                       aggregate_id=str(story.payment_id), aggregate_version=3)],
    }
    return steps[kind]()


@pytest.mark.parametrize(("kind", "subject"), [
    ("booking_waitlisted", "You are on the waitlist: PyCon meetup"),
    ("booking_promoted", "A seat is free for you: PyCon meetup"),
    ("booking_awaiting_payment", "Please pay for your booking: PyCon meetup"),
    ("booking_expired", "Your booking expired: PyCon meetup"),
    ("booking_rejected", "Your booking could not be made: PyCon meetup"),
    ("booking_cancelled", "Booking cancelled: PyCon meetup"),
    ("payment_succeeded", "Payment received: 10.00 EUR"),
    ("payment_failed", "Payment failed: PyCon meetup"),
    ("refund_issued", "Refund issued: 10.00 EUR"),
])
def test_each_booking_and_payment_step_reaches_the_sink_once(settings, smtp_sink, deliver, kind, subject):
    story = Story(paid=True)
    feed(settings.conninfo(settings.database), [story.registered(), story.event_created(), story.requested()])
    deliver()
    feed(settings.conninfo(settings.database), _step(story, kind))
    deliver()
    got = [str(m["Subject"]) for m in mails(smtp_sink[1], to=story.email)]
    assert got.count(subject) == 1, got
