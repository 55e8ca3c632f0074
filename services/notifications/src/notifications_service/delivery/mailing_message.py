"""One recipient's copy of a mailing: headers (RFC 8058 List-Unsubscribe), plain-text body with the link."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from urllib.parse import quote
from uuid import UUID

from notifications_service.domain.unsubscribe import sign


def unsubscribe_url(public_url: str, secret: bytes, user_id: UUID, category: str) -> str:
    """The one-click link (POST, RFC 8058) for this user and category."""
    token = sign(secret, user_id, category)
    return f"{public_url.rstrip('/')}/api/v1/notifications/unsubscribe?token={quote(token)}"


def mailing_message(*, mailing_id: UUID, user_id: UUID, email: str, full_name: str, title: str, content: str,
                    category: str, from_: str, public_url: str, secret: bytes) -> bytes:
    """The e-mail as bytes ready for DATA; its Message-ID is derived from (mailing, user)."""
    url = unsubscribe_url(public_url, secret, user_id, category)
    _, from_addr = parseaddr(from_)
    domain = from_addr.rpartition("@")[2] or "eventplanner.local"
    # Headers up to 998 characters (RFC 5322): a folded or encoded List-Unsubscribe URL breaks mail clients.
    msg = EmailMessage(policy=SMTP.clone(max_line_length=998))
    msg["From"] = from_
    msg["To"] = Address(display_name=full_name, addr_spec=email)
    msg["Subject"] = title
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<mailing.{mailing_id}.{user_id}@{domain}>"
    mailto = f"mailto:{from_addr or 'no-reply@' + domain}?subject=unsubscribe%20{quote(category)}"
    msg["List-Unsubscribe"] = f"<{url}>, <{mailto}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["X-Mailing-ID"] = str(mailing_id)
    msg.set_content(f"{content}\n\n--\nUnsubscribe from these e-mails: {url}\n", cte="quoted-printable")
    return msg.as_bytes()
