"""The user account: identity, password hash, role and whether it may still be used."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from users_service.domain.errors import (
    AccountDisabled,
    AccountNotDisabled,
    OwnAccountManagement,
    PasswordResetInvalid,
)

LOCALES = ("ru", "en")


def normalise_email(email: str) -> str:
    """E-mails are unique regardless of letter case (and stray spaces)."""
    return email.strip().lower()


class User(Aggregate):
    """A person's account; the password hash never leaves the users service.

    Revocation works by stream version: access tokens carry the version the user had when they were
    issued, sessions (token families) the version at login. A change that must void them records the
    version it creates: `tokens_valid_from` (role, password, disable, enable) and `sessions_valid_from`
    (password, disable, enable; a role change keeps sessions, so a refresh brings the new role).
    """

    # Accounts (and snapshots) from before locales existed have none: the platform default applies.
    locale: str | None = None

    # Each event is declared with its fields (not only named in @event), so type checkers and the translation to
    # public messages see them; eventsourcing gives it the same stored topic (users_service.domain.user:User.X).
    class Registered(Aggregate.Created):
        email: str
        full_name: str
        password_hash: str
        role: str
        locale: str | None = None

    @event(Registered)
    def __init__(self, email: str, full_name: str, password_hash: str, role: str, locale: str | None = None):
        self.email = normalise_email(email)
        self.full_name = full_name
        self.locale = locale
        self.password_hash: str | None = password_hash
        self.role = role
        self.disabled_at: datetime | None = None
        self.disable_reason: str | None = None
        self.tokens_valid_from = 0
        self.sessions_valid_from = 0
        self.reset_token_hash: str | None = None
        self.reset_expires_at: datetime | None = None

    @property
    def registered_at(self) -> datetime:
        return self.created_on

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def check_active(self) -> None:
        """Raises AccountDisabled when the account was disabled."""
        if self.disabled:
            raise AccountDisabled(f"user {self.id} is disabled")

    def check_managed_by(self, actor_id: UUID | None) -> None:
        """Raises OwnAccountManagement when the actor is this user: nobody locks themselves out."""
        if actor_id is not None and actor_id == self.id:
            raise OwnAccountManagement("you cannot disable, demote or force a password reset on your own account; "
                                       "ask another admin")

    def change_locale(self, locale: str) -> None:
        """The language the user reads messages in (no event when it is already theirs)."""
        if locale not in LOCALES:
            raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
        if locale != self.locale:
            self._profile_updated(locale=locale)

    class ProfileUpdated(Aggregate.Event):
        locale: str

    @event(ProfileUpdated)
    def _profile_updated(self, locale: str) -> None:
        self.locale = locale

    def change_role(self, role: str) -> None:
        """Give the user another role (no event when it is already theirs)."""
        self.check_active()
        if role != self.role:
            self._role_changed(role=role, previous_role=self.role)

    class RoleChanged(Aggregate.Event):
        role: str
        previous_role: str

    @event(RoleChanged)
    def _role_changed(self, role: str, previous_role: str) -> None:
        self.role = role
        self._void_tokens()

    def disable(self, reason: str | None = None) -> None:
        """Stop the account from being used; disabling twice keeps the first time and reason."""
        if not self.disabled:
            self._disabled(reason=reason)

    class Disabled(Aggregate.Event):
        reason: str | None

    @event(Disabled)
    def _disabled(self, reason: str | None) -> None:
        self.disabled_at = self.modified_on
        self.disable_reason = reason
        self._void_tokens(sessions=True)

    def enable(self) -> None:
        """Let a disabled account be used again; its tokens and sessions from before stay void."""
        if not self.disabled:
            raise AccountNotDisabled(f"user {self.id} is not disabled")
        self._enabled()

    class Enabled(Aggregate.Event):
        pass

    @event(Enabled)
    def _enabled(self) -> None:
        self.disabled_at = None
        self.disable_reason = None
        self._void_tokens(sessions=True)

    def change_password(self, password_hash: str, kind: str = "changed") -> None:
        """A new password (already checked and hashed): earlier tokens and sessions are void."""
        self._password_changed(password_hash=password_hash, kind=kind)

    class PasswordChanged(Aggregate.Event):
        password_hash: str
        kind: str

    @event(PasswordChanged)
    def _password_changed(self, password_hash: str, kind: str) -> None:
        self.password_hash = password_hash
        self.reset_token_hash = None
        self.reset_expires_at = None
        self._void_tokens(sessions=True)

    def require_reset(self, token_hash: str, expires_at: datetime) -> None:
        """An admin forced a reset: the old password stops working; only the one-time token can set a new one.

        A second reset replaces the first token.
        """
        self._reset_required(token_hash=token_hash, expires_at=expires_at)

    class ResetRequired(Aggregate.Event):
        token_hash: str
        expires_at: datetime

    @event(ResetRequired)
    def _reset_required(self, token_hash: str, expires_at: datetime) -> None:
        self.password_hash = None
        self.reset_token_hash = token_hash
        self.reset_expires_at = expires_at
        self._void_tokens(sessions=True)

    def check_reset_token(self, token_hash: str, now: datetime) -> None:
        """Raises PasswordResetInvalid unless `token_hash` is the live, unexpired reset token."""
        if self.reset_token_hash is None or token_hash != self.reset_token_hash:
            raise PasswordResetInvalid("unknown or already used password-reset token")
        if self.reset_expires_at is not None and now >= self.reset_expires_at:
            raise PasswordResetInvalid("password-reset token expired; ask an admin for a new one")

    def _void_tokens(self, *, sessions: bool = False) -> None:
        # Runs inside an event's body, before the aggregate's version moves to that event's version.
        self.tokens_valid_from = self.version + 1
        if sessions:
            self.sessions_valid_from = self.version + 1

    def change_password_hash(self, password_hash: str) -> None:
        """Store a re-hash (e.g. after the hashing parameters were strengthened)."""
        self._password_rehashed(password_hash=password_hash)

    @event("PasswordRehashed")
    def _password_rehashed(self, password_hash: str) -> None:
        self.password_hash = password_hash


class EmailRegistration(Aggregate):
    """Claims one e-mail for one user: its id derives from the e-mail, so a second claim is a version conflict."""

    @staticmethod
    def create_id(email: str, user_id: UUID) -> UUID:
        return email_registration_id(email)

    @event("Claimed")
    def __init__(self, email: str, user_id: UUID):
        self.email = normalise_email(email)
        self.user_id = user_id


def email_registration_id(email: str) -> UUID:
    """The deterministic id of the registration for `email`."""
    return uuid5(NAMESPACE_URL, f"/users/email/{normalise_email(email)}")
