"""Password changes and admin-forced resets, as commands of the Users application.

Every new password is strength-checked (domain.password_policy). A change or a reset voids the user's
earlier access tokens everywhere and every refresh-token family (see User): whoever held a stolen
session loses it with the old password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from spine import context

from users_service.application.accounts import Accounts
from users_service.application.sessions import Sessions, TokenPair
from users_service.domain import PasswordResetInvalid, User, WeakPassword, WrongPassword, check_password_strength
from users_service.tokens import new_reset_token, token_hash, user_of_reset_token


@dataclass(frozen=True)
class PasswordReset:
    """A forced reset: the one-time token (to be delivered to the user, never stored in clear) and its expiry."""

    user_id: UUID
    token: str
    expires_at: datetime


class Credentials(Accounts, Sessions):
    """The commands that set a password after registration."""

    def change_password(self, user_id: UUID, current: str, new: str) -> TokenPair:
        """The user sets a new password, proving the current one; returns a fresh session (the others end).

        Raises WrongPassword, WeakPassword, AccountDisabled.
        """
        user = self.user(user_id)
        user.check_active()
        if user.password_hash is None or not self.passwords.verify(current, user.password_hash)[0]:
            raise WrongPassword("the current password is wrong")
        if new == current:
            raise WeakPassword("the new password must differ from the current one")
        check_password_strength(new, user_inputs=(user.email, user.full_name))
        new_hash = self.passwords.hash(new)

        def change() -> TokenPair:
            fresh = self.user(user_id)
            fresh.change_password(new_hash, kind="changed")
            family, refresh = self._start_family(fresh)  # started after the change: it survives it
            self.save(fresh, family)
            return self._pair(fresh, refresh)
        return self._retrying(change)

    def force_password_reset(self, user_id: UUID, *, by: UUID | None = None) -> PasswordReset:
        """An admin voids the user's password and sessions; only the returned one-time token sets a new one.

        `by` must hold every permission of the user's role (BeyondYourPermissions).
        """
        token = new_reset_token(user_id)
        expires_at = datetime.now(UTC) + self.policy.reset_ttl

        def reset(user: User) -> None:
            self._manageable(user, by)
            user.require_reset(token_hash(token), expires_at)
        self._retrying(lambda: self._change(user_id, reset))
        return PasswordReset(user_id, token, expires_at)

    def reset_password(self, token: str, new: str) -> User:
        """Set a new password with a one-time reset token; raises PasswordResetInvalid, WeakPassword."""
        user_id = user_of_reset_token(token)
        hashed_token = token_hash(token)
        user = self._get(user_id, User, PasswordResetInvalid("unknown or already used password-reset token"))
        user.check_reset_token(hashed_token, datetime.now(UTC))
        check_password_strength(new, user_inputs=(user.email, user.full_name))
        new_hash = self.passwords.hash(new)

        def complete(fresh: User) -> None:
            fresh.check_reset_token(hashed_token, datetime.now(UTC))  # a concurrent use consumed it first
            fresh.change_password(new_hash, kind="reset")
        with context.caused_by(actor_id=str(user_id)):  # the token's holder acts as the user (no bearer token)
            return self._retrying(lambda: self._change(user_id, complete))

