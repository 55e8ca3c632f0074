"""Notifications are built and flattened with a caching e-mail policy (delivery.mime): the bytes on the wire
are exactly those of `EmailMessage()` flattened by aiosmtplib, for Russian and English, long and short,
with and without HTML, calendar file and extra headers, built many times over (cached headers reused)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.message import EmailMessage
from unittest import mock

import pytest
from aiosmtplib.email import flatten_message

from notifications_service.delivery import smtp
from notifications_service.delivery.mime import flatten
from notifications_service.delivery.render import Renderer
from notifications_service.delivery.smtp import Attachment, build_email

pytestmark = pytest.mark.unit

EVENT = {"title": "PyCon — «meetup» " + "with a long title " * 6, "start_time": datetime(2031, 6, 1, 18, tzinfo=UTC),
         "end_time": datetime(2031, 6, 1, 20, tzinfo=UTC), "place": None, "schedule_version": 3}
ICS = ("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nSUMMARY:PyCon — «meetup»\r\nEND:VCALENDAR\r\n").encode()
UNSUBSCRIBE = {"List-Unsubscribe": "<http://127.0.0.1:8000/api/v1/notifications/unsubscribe?token=abc>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def cases() -> list[dict]:
    renderer, made = Renderer("en"), []
    for locale, name in (("en", "Ada Lovelace"), ("ru", "Ада Лавлейс"), ("ru", "Ю" * 120), ("en", "Zoë 😀")):
        for kind in ("booking_confirmed", "welcome", "payment_succeeded", "booking_cancelled"):
            r = renderer.render(kind, locale, {"user": {"full_name": name}, "event": EVENT, "kind": kind,
                                               "booking": {"group_size": 2}, "data": {"amount": "10.00 EUR"}})
            for attachments in ((), (Attachment("invite.ics", ICS, "text", "calendar", {"method": "PUBLISH"}),)):
                for headers in (None, UNSUBSCRIBE):
                    made.append({"sender": "no-reply@eventplanner.local", "to": f"u{len(made)}@example.com",
                                 "subject": r.subject, "text": r.text, "html": r.html, "attachments": attachments,
                                 "msg_id": f"<{len(made)}@event-planner>", "headers": headers})
    made.append({"sender": "Event Planner <no-reply@eventplanner.local>", "to": "Ада <ada@example.com>",
                 "subject": "Тема " * 40, "text": "строка\n" * 3 + "x" * 1200, "html": None,
                 "msg_id": "<a@event-planner>"})
    made.append({"sender": "no-reply@eventplanner.local", "to": "a@example.com", "subject": "", "text": "",
                 "html": "<p></p>", "msg_id": "<b@event-planner>"})
    return made


def standard(sender, to, subject, text, html, msg_id, attachments=(), headers=None) -> EmailMessage:
    """build_email as it was, on the standard library's default policy."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, subject, msg_id
    msg["Date"] = smtp.formatdate(usegmt=True)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for a in attachments:
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename,
                           params=a.params or {})
    return msg


def test_the_wire_bytes_are_those_of_the_standard_policy():
    with mock.patch.object(smtp, "formatdate", lambda usegmt=True: "Tue, 01 Dec 2026 23:00:00 GMT"):
        for _ in range(2):  # the second time round, every repeated header comes from the caches
            for i, case in enumerate(cases()):
                for utf8, cte in ((False, "8bit"), (True, "8bit"), (False, "7bit")):
                    random.seed(i)  # the multipart boundaries
                    expected = flatten_message(standard(**case), utf8=utf8, cte_type=cte)
                    random.seed(i)
                    assert flatten(build_email(**case), utf8=utf8, cte_type=cte) == expected, case["subject"]
