"""Signed one-click unsubscribe tokens (RFC 8058): who, and from which category, nothing else.

The token is `base64url(user_id|category).hmac` with the service's secret, so the link in an e-mail
needs no sign-in and cannot be forged for another user or category. It does not expire: an old
mailing's link keeps working, as mail clients expect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID


class InvalidUnsubscribeToken(Exception):
    """Raised when a token was not signed by this service or is malformed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:18])


def sign(secret: bytes, user_id: UUID, category: str) -> str:
    """The token for `user_id` leaving `category`."""
    payload = _b64(f"{user_id}|{category}".encode())
    return f"{payload}.{_mac(secret, payload)}"


def verify(secret: bytes, token: str) -> tuple[UUID, str]:
    """(user_id, category) of a valid token; InvalidUnsubscribeToken otherwise."""
    try:
        payload, mac = token.split(".", 1)
        if not hmac.compare_digest(mac, _mac(secret, payload)):
            raise ValueError("bad signature")
        user, category = _unb64(payload).decode().split("|", 1)
        return UUID(user), category
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidUnsubscribeToken("this unsubscribe link is not valid") from error
