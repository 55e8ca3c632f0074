"""Notifications through the whole system: the waitlist story ends with the promoted user holding an in-app
notification and an e-mail in the SMTP sink (deploy/smtp.sh's Maildir), with a calendar file for the
confirmed booking that only its owner can download; a `ru` user reads Russian."""

from __future__ import annotations

import mailbox
from email import policy
from email.parser import BytesParser
from pathlib import Path
from uuid import uuid4

import pytest
from icalendar import Calendar

from e2e_support import PASSWORD, Person, Platform, eventually, is_problem

pytestmark = pytest.mark.e2e


def maildir(system_env: dict[str, str]) -> Path:
    return Path(system_env["EP_DATA"]) / "mail"


def mails_to(system_env: dict[str, str], email: str) -> list:
    box = mailbox.Maildir(str(maildir(system_env)), factory=None, create=False)
    parsed = [BytesParser(policy=policy.default).parsebytes(box.get_bytes(k)) for k in box.keys()]
    return [m for m in parsed if email in str(m["To"])]


def mail(system_env, email: str, subject_start: str, timeout: float = 30):
    def probe():
        found = [m for m in mails_to(system_env, email) if str(m["Subject"]).startswith(subject_start)]
        return found[0] if found else None
    return eventually(probe, timeout=timeout, what=f"an e-mail to {email}: {subject_start}...")


def inbox(platform: Platform, person: Person) -> list[dict]:
    r = platform.http.get("/api/v1/notifications/", headers=person.auth)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_promoted_user_gets_an_in_app_notification_and_an_email_with_a_calendar(platform, system_env):
    organizer = platform.organizer("Nora Notify")
    event = platform.create_event(organizer, seats=1, title="Waitlist Notify")
    title = event["title"]  # the helper makes titles unique
    first, second = platform.register("First Person"), platform.register("Second Person")
    platform.wait_bookable(event["id"], first)
    held = platform.wait_status(first, platform.booked(first, event["id"])["id"], "confirmed")
    waiting = platform.wait_status(second, platform.booked(second, event["id"])["id"], "waitlisted")
    mail(system_env, second.email, f"You are on the waitlist: {title}")

    assert platform.cancel(first, held["id"]).status_code == 200
    platform.wait_status(second, waiting["id"], "confirmed", timeout=20)

    promoted_mail = mail(system_env, second.email, f"A seat is free for you: {title}")
    assert "Waitlist Notify" in promoted_mail.get_body(("plain",)).get_content()

    def promoted_in_app():
        found = [n for n in inbox(platform, second) if n["kind"] == "booking_promoted" and n["channel"] == "in_app"]
        return found[0] if found and found[0]["status"] == "delivered" else None
    note = eventually(promoted_in_app, timeout=30, what="the in-app promotion notice")
    assert note["subject"] == f"A seat is free for you: {title}" and note["read"] is False

    confirmation = mail(system_env, second.email, f"Booking confirmed: {title}")
    attachment = next(p for p in confirmation.iter_attachments() if p.get_content_type() == "text/calendar")
    entry = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == title

    path = f"/api/v1/bookings/{waiting['id']}/calendar.ics"
    served = platform.http.get(path, headers=second.auth)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
    assert str(Calendar.from_ical(served.content).walk("VEVENT")[0]["UID"]) == str(entry["UID"])
    assert is_problem(platform.http.get(path, headers=first.auth), 404)
    # Nobody reads or marks another's notifications.
    assert note["id"] not in {n["id"] for n in inbox(platform, first)}
    assert is_problem(platform.http.post(f"/api/v1/notifications/{note['id']}/read", headers=first.auth), 404)
    assert platform.http.post(f"/api/v1/notifications/{note['id']}/read", headers=second.auth).json()["read"]


def test_a_ru_user_is_welcomed_in_russian_and_an_en_user_in_english(platform, system_env):
    emails = {}
    for locale in ("ru", "en"):
        email = f"e2e-{locale}-{uuid4().hex[:10]}@example.com"
        r = platform.http.post("/api/v1/users/", json={"email": email, "full_name": "Лев Толстой",
                                                       "password": PASSWORD, "locale": locale})
        assert r.status_code == 201 and r.json()["locale"] == locale, r.text
        emails[locale] = email
    assert str(mail(system_env, emails["ru"], "Добро пожаловать")["Subject"]).startswith("Добро пожаловать")
    assert str(mail(system_env, emails["en"], "Welcome")["Subject"]).startswith("Welcome to Event Planner")
