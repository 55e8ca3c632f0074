"""A mailing through the worker's sender into the real SMTP sink: exactly the audience, once each, in each
recipient's language (plain text and escaped HTML), with RFC 8058 unsubscribe headers and a footer link
that really unsubscribes; refusals and retries follow the notifications' policy."""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from notifications_service.testing_comms import World, email_of, part_of, received, recipient_of, smtp_sink
from notifications_service.timers.mailing_sender import MailingSender

pytestmark = pytest.mark.integration

URL = "/api/v1/mailings/"


def copies_of(mail_dir, mailing_id: str) -> list:
    """The sink's copies of one mailing (a sender also finishes what earlier tests of the module left)."""
    return [m for m in received(mail_dir) if m["X-Mailing-ID"] == mailing_id]


@pytest.fixture(scope="module")
def world(settings, client) -> World:
    return World(settings.conninfo(settings.database))


def test_a_mailing_to_an_events_confirmed_attendees_reaches_exactly_them_once(
        client, settings, world, admin, organizer, tmp_path):
    event_id = world.event(organizer.user_id)
    attendees = [world.user() for _ in range(5)]
    for user_id in attendees:
        world.booking(user_id, event_id, "confirmed")
    cancelled = world.user()
    world.booking(cancelled, event_id, "cancelled")
    opted_out = world.user()
    world.booking(opted_out, event_id, "confirmed")
    elsewhere = world.user()
    world.booking(elsewhere, world.event(organizer.user_id), "confirmed")
    # The opted-out attendee unsubscribed through a link of an earlier mailing (the one-click endpoint).
    mail_dir = tmp_path / "mail"
    with smtp_sink(mail_dir) as port:
        sender = MailingSender(settings.model_copy(update={"smtp_port": port}))
        first = client.post(URL, headers=admin.headers, json={
            "title": "Welcome", "content": "Hello", "filters": {"event_id": str(event_id)}}).json()
        asyncio.run(sender.run_once())
        welcome = {recipient_of(m): m for m in copies_of(mail_dir, first["id"])}
        assert client.get(f"{URL}{first['id']}", headers=admin.headers).json()["sent"] == 7
        link = welcome[email_of(opted_out)]
        assert link["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = link["List-Unsubscribe"].split(",")[0].strip("<> ")
        assert "mailto:" in link["List-Unsubscribe"]
        token = parse_qs(urlparse(url).query)["token"][0]
        r = client.post("/api/v1/notifications/unsubscribe", params={"token": token})
        assert r.status_code == 200 and r.json() == {"category": "mailings"}
        for path in list(mail_dir.glob("*/*")):
            path.unlink()

        r = client.post(URL, headers=organizer.headers, json={
            "title": "Doors open at 18:00", "content": "See you there.\n.\nA line with a lone dot.",
            "filters": {"event_id": str(event_id), "booking_status": "confirmed"}})
        assert r.status_code == 201, r.text
        mailing = r.json()
        asyncio.run(sender.run_once())
        asyncio.run(sender.run_once())  # a second round finds nothing left to send

    messages = copies_of(mail_dir, mailing["id"])
    got = Counter(recipient_of(m) for m in messages)
    assert got == Counter({email_of(u): 1 for u in attendees})
    assert all(m["Subject"] == "Doors open at 18:00" for m in messages)
    plain = part_of(messages[0], "plain")
    assert "See you there.\n.\nA line with a lone dot." in plain
    unsubscribe = messages[0]["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert f"Unsubscribe from these e-mails: {unsubscribe}" in plain  # the footer's link is the header's
    final = client.get(f"{URL}{mailing['id']}", headers=organizer.headers).json()
    assert {k: final[k] for k in ("status", "audience", "sent", "failed", "pending")} == \
        {"status": "completed", "audience": 5, "sent": 5, "failed": 0, "pending": 0}


def test_an_unreachable_smtp_server_leaves_recipients_pending(client, settings, world, admin):
    from notifications_service.testing_comms import free_port
    user_id = world.user(role="support")
    mailing = client.post(URL, headers=admin.headers, json={
        "title": "Hi", "content": "Hello", "filters": {"role": "support"}}).json()
    sender = MailingSender(settings.model_copy(update={"smtp_port": free_port()}))
    asyncio.run(sender.run_once())
    got = client.get(f"{URL}{mailing['id']}", headers=admin.headers).json()
    assert got["status"] == "sending" and got["pending"] == got["audience"] >= 1 and got["failed"] == 0
    assert user_id


def test_each_recipient_reads_the_mailing_in_their_language_with_the_content_escaped(
        client, settings, world, admin, organizer, tmp_path):
    event_id = world.event(organizer.user_id)
    russian, english = world.user(locale="ru"), world.user(locale="en")
    for user_id in (russian, english):
        world.booking(user_id, event_id, "confirmed")
    mail_dir = tmp_path / "mail"
    with smtp_sink(mail_dir) as port:
        mailing = client.post(URL, headers=admin.headers, json={
            "title": "Rock & <Roll>", "content": "Bring <b>this</b> & smile",
            "filters": {"event_id": str(event_id)}}).json()
        asyncio.run(MailingSender(settings.model_copy(update={"smtp_port": port})).run_once())
    by_recipient = {recipient_of(m): m for m in copies_of(mail_dir, mailing["id"])}
    ru, en = by_recipient[email_of(russian)], by_recipient[email_of(english)]
    assert (ru["Content-Language"], en["Content-Language"]) == ("ru", "en")
    assert "Отписаться от этих писем: http" in part_of(ru, "plain")
    assert "Unsubscribe from these e-mails: http" in part_of(en, "plain")
    for message in (ru, en):
        assert message["Subject"] == "Rock & <Roll>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Bring <b>this</b> & smile" in part_of(message, "plain")
        html = part_of(message, "html")
        assert "Bring &lt;b&gt;this&lt;/b&gt; &amp; smile" in html and "<b>this" not in html
        link = message["List-Unsubscribe"].split(",")[0].strip("<> ")
        assert f'<a href="{link}">' in html


def test_a_refused_recipient_fails_at_once_and_a_temporary_error_waits_its_backoff(
        client, settings, world, admin, organizer, tmp_path):
    """The sink refuses one address for good (550) and another for now (451): one `failed` with the reason,
    the other pending with a later next attempt and one attempt counted."""
    event_id = world.event(organizer.user_id)
    ok, gone, busy = world.user(), world.user(), world.user()
    for user_id in (ok, gone, busy):
        world.booking(user_id, event_id, "confirmed")
    codes = {email_of(gone): "550 5.1.1 no such user", email_of(busy): "451 4.3.0 try again later"}
    mail_dir = tmp_path / "mail"
    with smtp_sink(mail_dir, refuse=codes) as port:
        mailing = client.post(URL, headers=admin.headers, json={
            "title": "Hi", "content": "Hello", "filters": {"event_id": str(event_id)}}).json()
        asyncio.run(MailingSender(settings.model_copy(update={"smtp_port": port})).run_once())
    assert [recipient_of(m) for m in copies_of(mail_dir, mailing["id"])] == [email_of(ok)]
    got = client.get(f"{URL}{mailing['id']}", headers=admin.headers).json()
    assert {k: got[k] for k in ("status", "sent", "failed", "pending")} == \
        {"status": "sending", "sent": 1, "failed": 1, "pending": 1}
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        rows = {row[0]: row[1:] for row in conn.execute(
            "SELECT email, status, attempts, next_attempt_at > now(), last_error FROM mailing_recipients "
            "WHERE mailing_id = %s", (mailing["id"],))}
    assert rows[email_of(gone)][:2] == ("failed", 1) and "550" in rows[email_of(gone)][3]
    assert rows[email_of(busy)][:3] == ("pending", 1, True) and "451" in rows[email_of(busy)][3]


def test_a_scheduled_mailing_waits_for_its_time_and_a_new_sender_starts_it(
        client, settings, world, admin, organizer, tmp_path):
    """The schedule lives in the database: a sender built after a restart finds the mailing when it is due."""
    from datetime import UTC, datetime, timedelta

    event_id = world.event(organizer.user_id)
    attendee = world.user()
    world.booking(attendee, event_id, "confirmed")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    mailing = client.post(URL, headers=admin.headers, json={
        "title": "Tomorrow", "content": "Hello", "filters": {"event_id": str(event_id)}, "scheduled_at": later}).json()
    mail_dir = tmp_path / "mail"
    with smtp_sink(mail_dir) as port:
        mail_settings = settings.model_copy(update={"smtp_port": port})
        asyncio.run(MailingSender(mail_settings).run_once())
        assert client.get(f"{URL}{mailing['id']}", headers=admin.headers).json()["status"] == "scheduled"
        with psycopg.connect(settings.conninfo(settings.database)) as conn:  # the hour has passed
            conn.execute("UPDATE mailings SET scheduled_at = now() - interval '1 second' WHERE mailing_id = %s",
                         (mailing["id"],))
        asyncio.run(MailingSender(mail_settings).run_once())  # another process: what a restart builds
    assert [recipient_of(m) for m in copies_of(mail_dir, mailing["id"])] == [email_of(attendee)]
    got = client.get(f"{URL}{mailing['id']}", headers=admin.headers).json()
    assert (got["status"], got["sent"]) == ("completed", 1)
