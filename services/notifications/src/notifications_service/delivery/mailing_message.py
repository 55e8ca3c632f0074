"""One recipient's copy of a mailing: headers (RFC 8058 List-Unsubscribe), plain-text body with the link.

`MailingTemplate` encodes what every copy shares once per mailing (subject, body in quoted-printable)
and renders each copy by filling in the recipient's parts: building an `EmailMessage` per copy cost
more than sending it. Headers stay unfolded up to 998 characters (RFC 5322), so the List-Unsubscribe
URL reaches mail clients intact.
"""

from __future__ import annotations

import binascii
import re
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import quote
from uuid import UUID

from notifications_service.domain.unsubscribe import sign

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unsubscribe_url(public_url: str, secret: bytes, user_id: UUID, category: str) -> str:
    """The one-click link (POST, RFC 8058) for this user and category."""
    token = sign(secret, user_id, category)
    return f"{public_url.rstrip('/')}/api/v1/notifications/unsubscribe?token={quote(token)}"


def _header_text(value: str) -> str:
    """ASCII as is; anything else as an RFC 2047 encoded word."""
    value = _CONTROL.sub(" ", value)
    return value if value.isascii() else Header(value, "utf-8").encode(maxlinelen=998)


def _qp(text: str) -> bytes:
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)


class MailingTemplate:
    """The parts of a mailing every recipient's copy shares, encoded once."""

    def __init__(self, *, mailing_id: UUID, title: str, content: str, category: str, from_: str,
                 public_url: str, secret: bytes):
        self.mailing_id, self.category, self.public_url, self.secret = mailing_id, category, public_url, secret
        name, self.from_addr = parseaddr(from_)
        self.domain = self.from_addr.rpartition("@")[2] or "eventplanner.local"
        mailto = f"mailto:{self.from_addr or 'no-reply@' + self.domain}?subject=unsubscribe%20{quote(category)}"
        self.mailto = mailto
        self.head = (f"From: {formataddr((name, self.from_addr), charset='utf-8')}\r\n"
                     f"Subject: {_header_text(title)}\r\n"
                     f"Date: {formatdate(usegmt=True)}\r\n"
                     "MIME-Version: 1.0\r\n"
                     'Content-Type: text/plain; charset="utf-8"\r\n'
                     "Content-Transfer-Encoding: quoted-printable\r\n"
                     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                     f"X-Mailing-ID: {mailing_id}\r\n").encode("ascii")
        self.body = _qp(f"{content}\n\n--\n")

    def render(self, user_id: UUID, email: str, full_name: str) -> bytes:
        """One recipient's copy, ready for DATA; its Message-ID is derived from (mailing, user)."""
        url = unsubscribe_url(self.public_url, self.secret, user_id, self.category)
        to = formataddr((_CONTROL.sub(" ", full_name), email), charset="utf-8")
        head = (f"To: {to}\r\n"
                f"Message-ID: <mailing.{self.mailing_id}.{user_id}@{self.domain}>\r\n"
                f"List-Unsubscribe: <{url}>, <{self.mailto}>\r\n").encode("ascii")
        return self.head + head + b"\r\n" + self.body + _qp(f"Unsubscribe from these e-mails: {url}\n")


def mailing_message(*, mailing_id: UUID, user_id: UUID, email: str, full_name: str, title: str, content: str,
                    category: str, from_: str, public_url: str, secret: bytes) -> bytes:
    """A single copy (tests and tools; the sender renders many from one MailingTemplate)."""
    return MailingTemplate(mailing_id=mailing_id, title=title, content=content, category=category, from_=from_,
                           public_url=public_url, secret=secret).render(user_id, email, full_name)
