"""Refresh-token families: one per login, rotated on every use, revoked as a whole when a spent token returns.

Only hashes of tokens are stored. Presenting a token that was already exchanged means two parties hold the
same session (RFC 9700 §4.14.2): the legitimate client and a thief can't be told apart, so the whole family
is revoked and the user logs in again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from users_service.domain.errors import RefreshTokenInvalid, RefreshTokenReused


class TokenFamily(Aggregate):
    """The chain of refresh tokens descending from one login."""

    @event("Started")
    def __init__(self, id: UUID, user_id: UUID, token_hash: str, expires_at: datetime,  # noqa: A002
                 user_version: int = 0):
        # The id is chosen by the caller: the refresh token names its family, so it exists before the family.
        # `user_version`: the user's version at login; a later password change or disable voids the family
        # (0 for families started before it was recorded: any such change voids them).
        self.user_id = user_id
        self.user_version = user_version
        self.current_hash = token_hash
        self.expires_at = expires_at
        self.spent_hashes: list[str] = []
        self.revoked_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_reason is not None

    def check_usable(self, token_hash: str, now: datetime) -> None:
        """Raises RefreshTokenInvalid unless `token_hash` is the live, unexpired token of a live family."""
        if self.revoked:
            raise RefreshTokenInvalid(f"the session was ended ({self.revoked_reason}); log in again")
        if token_hash != self.current_hash:
            raise RefreshTokenInvalid("unknown refresh token")
        if now >= self.expires_at:
            raise RefreshTokenInvalid("refresh token expired; log in again")

    def rotate(self, presented_hash: str, successor_hash: str, now: datetime, lifetime: timedelta) -> None:
        """Exchange the live token for its successor.

        A spent token revokes the family *and* raises RefreshTokenReused; the caller must still save the
        family so the revocation sticks.
        """
        if presented_hash in self.spent_hashes and not self.revoked:
            self._revoked(reason="reuse of a spent refresh token")
            raise RefreshTokenReused("refresh token was already used; every session of this login is revoked")
        self.check_usable(presented_hash, now)
        self._rotated(spent_hash=presented_hash, token_hash=successor_hash, expires_at=now + lifetime)

    @event("Rotated")
    def _rotated(self, spent_hash: str, token_hash: str, expires_at: datetime) -> None:
        self.spent_hashes.append(spent_hash)
        self.current_hash = token_hash
        self.expires_at = expires_at

    def owns(self, token_hash: str) -> bool:
        """Whether the token was ever issued in this family (live or spent)."""
        return token_hash == self.current_hash or token_hash in self.spent_hashes

    def revoke(self, reason: str) -> None:
        """End the session (logout, reuse, disabled account); revoking twice keeps the first reason."""
        if not self.revoked:
            self._revoked(reason=reason)

    @event("Revoked")
    def _revoked(self, reason: str) -> None:
        self.revoked_reason = reason
