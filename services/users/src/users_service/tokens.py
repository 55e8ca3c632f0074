"""Opaque refresh tokens: `<family id>.<random secret>`, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from users_service.domain.errors import PasswordResetInvalid, RefreshTokenInvalid


def new_refresh_token(family_id: UUID) -> str:
    """A token naming its family, so the family is found without an index of tokens."""
    return f"{family_id.hex}.{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """What is stored instead of the token (a high-entropy secret needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def family_of(token: str) -> UUID:
    """The family id inside a token; raises RefreshTokenInvalid for anything malformed."""
    family, _, secret = token.partition(".")
    try:
        if len(family) != 32 or len(secret) < 32:
            raise ValueError
        return UUID(hex=family)
    except ValueError:
        raise RefreshTokenInvalid("malformed refresh token") from None


def new_reset_token(user_id: UUID) -> str:
    """A one-time password-reset token naming its user: `<user id>.<random secret>` (stored hashed)."""
    return f"{user_id.hex}.{secrets.token_urlsafe(32)}"


def user_of_reset_token(token: str) -> UUID:
    """The user id inside a reset token; raises PasswordResetInvalid for anything malformed."""
    try:
        return family_of(token)
    except RefreshTokenInvalid:
        raise PasswordResetInvalid("malformed password-reset token") from None
