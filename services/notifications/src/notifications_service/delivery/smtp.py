"""E-mail over SMTP with aiosmtplib: the one delivery path of notifications and mailings.

Both senders (delivery.sender, delivery.mailing_sender) connect through `SmtpMailer.connect`, decide what
a failure means with `retry_delay`/`refused` (one backoff policy), and count outcomes with `counted`
(`ep_emails_total{kind, outcome}`). The Message-ID is derived from the notification id (mailings: from
mailing and user), so a copy re-sent after a crash between the server's acceptance and the recorded
`sent` is recognisably the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from spine.metrics import EMAILS

from notifications_service.delivery.mime import POLICY
from notifications_service.settings import Settings

MAX_BACKOFF_SECONDS = 3600.0


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
    msg = EmailMessage(policy=POLICY)  # email.policy.default, with its header parsing cached (delivery.mime)
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


def retry_delay(settings: Settings, attempts: int) -> float | None:
    """Seconds before the next try after `attempts` failed ones (exponential, capped); None: give up (failed)."""
    if attempts >= settings.send_max_attempts:
        return None
    return min(MAX_BACKOFF_SECONDS, settings.send_retry_base_seconds * 2 ** (attempts - 1))


def refused(error: BaseException) -> bool:
    """The server refused the message for good (a 5xx reply, RFC 5321 4.2.1): retrying cannot help."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(refused(e) for e in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500


def counted(kind: str, outcome: str, n: int = 1) -> None:
    """Count e-mails by kind (`notification`, `mailing`) and outcome (`sent`, `retried`, `failed`)."""
    if n:
        EMAILS.labels(kind, outcome).inc(n)


class SmtpMailer:
    """Connections to the configured SMTP server (STARTTLS and login when configured)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def connect(self) -> aiosmtplib.SMTP:
        """A connected (and logged-in) client; aiosmtplib's errors or OSError when the server is unreachable."""
        smtp = self.client()
        await smtp.connect()
        return smtp

    def client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                               start_tls=s.smtp_starttls, use_tls=False,
                               username=s.smtp_user, password=s.smtp_password.get_secret_value()
                               if s.smtp_password else None)
