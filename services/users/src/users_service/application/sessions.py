"""Sessions: login, refresh-token rotation (reuse revokes the family, RFC 9700 §4.14) and logout.

A session is a TokenFamily aggregate; access tokens are short-lived JWTs signed with the KeyRing's newest key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError

from authkit.tokens import issue_access_token

from users_service.application.base import UsersBase
from users_service.domain import (
    AccountDisabled,
    InvalidCredentials,
    RefreshTokenInvalid,
    RefreshTokenReused,
    Role,
    TokenFamily,
    User,
    role_id,
)
from users_service.tokens import family_of, new_refresh_token, token_hash


@dataclass(frozen=True)
class TokenPair:
    """What a successful login or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class Sessions(UsersBase):
    """The commands that start, continue and end a session."""

    def login(self, email: str, password: str) -> TokenPair:
        """Check the password and start a session; raises InvalidCredentials or AccountDisabled."""
        user = self.user_by_email(email)
        if user is None or user.password_hash is None:  # no account, or a reset was forced
            self.passwords.burn(password)
            raise InvalidCredentials("wrong e-mail or password")
        valid, rehashed = self.passwords.verify(password, user.password_hash)
        if not valid:
            raise InvalidCredentials("wrong e-mail or password")
        user.check_active()
        refresh = self._start_family(user)
        if rehashed:
            user.change_password_hash(rehashed)
            self.save(user, refresh[0])
        else:
            self.save(refresh[0])
        return self._pair(user, refresh[1])

    def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair; a spent token revokes its family (RefreshTokenReused)."""
        return self._retrying(lambda: self._refresh(refresh_token))

    def _refresh(self, refresh_token: str) -> TokenPair:
        family = self._family(refresh_token)
        successor = new_refresh_token(family.id)
        try:
            family.rotate(token_hash(refresh_token), token_hash(successor), _now(), self.policy.refresh_ttl)
        except RefreshTokenReused:
            self.save(family)  # the revocation must stick even though the request fails
            raise
        user = self.user(family.user_id)
        if user.disabled:
            family.revoke("account disabled")
            self.save(family)
            raise AccountDisabled("the account is disabled")
        if family.user_version < user.sessions_valid_from:
            family.revoke("password changed or account re-enabled")
            self.save(family)
            raise RefreshTokenInvalid("the session ended: the password changed or the account was re-enabled; "
                                      "log in again")
        self.save(family)
        return self._pair(user, successor)

    def logout(self, refresh_token: str) -> None:
        """End the session the refresh token belongs to (every token of that login); repeating is harmless."""
        def end() -> None:
            family = self._family(refresh_token)
            if not family.owns(token_hash(refresh_token)):
                raise RefreshTokenInvalid("unknown refresh token")
            family.revoke("logout")
            self.save(family)
        self._retrying(end)

    def _family(self, refresh_token: str) -> TokenFamily:
        return self._get(family_of(refresh_token), TokenFamily, RefreshTokenInvalid("unknown refresh token"))

    def _start_family(self, user: User) -> tuple[TokenFamily, str]:
        family_id = uuid4()  # chosen first: the token carries it
        token = new_refresh_token(family_id)
        family = TokenFamily(family_id, user.id, token_hash(token), _now() + self.policy.refresh_ttl,
                             user_version=user.version)
        return family, token

    def _pair(self, user: User, refresh_token: str) -> TokenPair:
        assert self.keys is not None, "Users needs a KeyRing to issue tokens"
        signing, ttl = self.keys.signing, self.policy.access_ttl
        try:
            role: Role | None = self.repository.get(role_id(user.role))
        except AggregateNotFoundError:
            role = None  # an undefined role grants nothing
        access = issue_access_token(signing.key, signing.kid, user_id=user.id, role=user.role,
                                    permissions=role.permissions if role else (),
                                    ttl_seconds=int(ttl.total_seconds()),
                                    issuer=self.policy.issuer, audience=self.policy.audience,
                                    user_version=user.version, role_version=role.version if role else None)
        return TokenPair(access, refresh_token, int(ttl.total_seconds()))


def _now() -> datetime:
    return datetime.now(UTC)
