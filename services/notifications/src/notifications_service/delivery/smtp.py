"""E-mail over SMTP with aiosmtplib: building the MIME message and sending it.

The Message-ID is derived from the notification id, so if the sender crashes after the server accepted a
message but before it recorded `sent`, the one re-sent is recognisably the same message (see sender).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notifications_service.settings import Settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict[str, str] | None = None


def message_id(notification_id: object, domain: str = "event-planner") -> str:
    return f"<{notification_id}@{domain}>"


def build_email(*, sender: str, to: str, subject: str, text: str, html: str | None, msg_id: str,
                attachments: tuple[Attachment, ...] = (), headers: dict[str, str] | None = None) -> EmailMessage:
    """A multipart message: plain text, HTML alternative, attachments, extra headers (List-Unsubscribe...)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = msg_id
    msg["Date"] = formatdate(usegmt=True)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for a in attachments:
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename,
                           params=a.params or {})
    return msg


class SmtpMailer:
    """One SMTP connection per batch (connect, send each, quit): cheap for many messages, fresh per batch."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                               start_tls=s.smtp_starttls, use_tls=False,
                               username=s.smtp_user, password=s.smtp_password.get_secret_value()
                               if s.smtp_password else None)
