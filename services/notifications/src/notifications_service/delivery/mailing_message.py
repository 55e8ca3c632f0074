"""One recipient's copy of a mailing: subject, plain text and HTML from the `mailing` template in the
recipient's language (the organizer's content is plain in the text, escaped in the HTML layout), the
unsubscribe link in the footer, and the RFC 8058 headers `List-Unsubscribe` / `List-Unsubscribe-Post`.

`MailingTemplate` renders the template once per locale with a placeholder for the link, and per copy only
substitutes the link and quoted-printable-encodes the two parts: rendering Jinja2 and building an
`EmailMessage` per copy cost more than sending it. Headers stay unfolded up to 998 characters (RFC 5322),
so the List-Unsubscribe URL reaches mail clients intact.
"""

from __future__ import annotations

import binascii
import html
import re
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import NamedTuple
from urllib.parse import quote
from uuid import UUID, uuid4

from notifications_service.delivery.render import Renderer
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
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


class _Layout(NamedTuple):
    head: bytes   # the headers every copy in this locale shares
    text: str     # with `placeholder` where the recipient's link goes
    html: str


class MailingTemplate:
    """A mailing's copies: the parts every recipient in one language shares, rendered once."""

    def __init__(self, *, mailing_id: UUID, title: str, content: str, category: str, from_: str,
                 public_url: str, secret: bytes, renderer: Renderer | None = None):
        self.mailing_id, self.category, self.public_url, self.secret = mailing_id, category, public_url, secret
        self.title, self.content = title, content
        self.renderer = renderer or Renderer()
        name, self.from_addr = parseaddr(from_)
        self.from_name = name
        self.domain = self.from_addr.rpartition("@")[2] or "eventplanner.local"
        self.mailto = f"mailto:{self.from_addr or 'no-reply@' + self.domain}?subject=unsubscribe%20{quote(category)}"
        # Random per mailing: neither the content nor an escaping step can produce or alter it.
        self.placeholder = f"ep-unsubscribe-{uuid4().hex}"
        self.boundary = f"==ep-{uuid4().hex}"  # never in quoted-printable text, which writes "=" as "=3D"
        self._layouts: dict[str, _Layout] = {}

    def _layout(self, locale: str | None) -> _Layout:
        locale = self.renderer.locale_of(locale)
        if locale not in self._layouts:
            out = self.renderer.render("mailing", locale, {"title": self.title, "content": self.content,
                                                           "unsubscribe_url": self.placeholder})
            head = (f"From: {formataddr((self.from_name, self.from_addr), charset='utf-8')}\r\n"
                    f"Subject: {_header_text(out.subject)}\r\n"
                    f"Date: {formatdate(usegmt=True)}\r\n"
                    "MIME-Version: 1.0\r\n"
                    f"Content-Language: {locale}\r\n"
                    f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
                    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                    f"X-Mailing-ID: {self.mailing_id}\r\n").encode("ascii")
            self._layouts[locale] = _Layout(head, out.text, out.html)
        return self._layouts[locale]

    def render(self, user_id: UUID, email: str, full_name: str, locale: str | None = None) -> bytes:
        """One recipient's copy, ready for DATA; its Message-ID is derived from (mailing, user)."""
        layout = self._layout(locale)
        url = unsubscribe_url(self.public_url, self.secret, user_id, self.category)
        to = formataddr((_CONTROL.sub(" ", full_name), email), charset="utf-8")
        head = (f"To: {to}\r\n"
                f"Message-ID: <mailing.{self.mailing_id}.{user_id}@{self.domain}>\r\n"
                f"List-Unsubscribe: <{url}>, <{self.mailto}>\r\n").encode("ascii")
        part = f"--{self.boundary}\r\nContent-Type: text/%s; charset=\"utf-8\"\r\n" \
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        return b"".join((
            layout.head, head, b"\r\n",
            (part % "plain").encode("ascii"), _qp(layout.text.replace(self.placeholder, url)), b"\r\n",
            (part % "html").encode("ascii"),
            _qp(layout.html.replace(self.placeholder, html.escape(url, quote=True))), b"\r\n",
            f"--{self.boundary}--\r\n".encode("ascii")))


def mailing_message(*, mailing_id: UUID, user_id: UUID, email: str, full_name: str, title: str, content: str,
                    category: str, from_: str, public_url: str, secret: bytes, locale: str | None = None) -> bytes:
    """A single copy (tests and tools; the sender renders many from one MailingTemplate)."""
    return MailingTemplate(mailing_id=mailing_id, title=title, content=content, category=category, from_=from_,
                           public_url=public_url, secret=secret).render(user_id, email, full_name, locale)
