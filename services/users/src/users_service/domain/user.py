"""The user account: identity, password hash, role and whether it may still be used."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from users_service.domain.errors import AccountDisabled


def normalise_email(email: str) -> str:
    """E-mails are unique regardless of letter case (and stray spaces)."""
    return email.strip().lower()


class User(Aggregate):
    """A person's account; the password hash never leaves the users service."""

    @event("Registered")
    def __init__(self, email: str, full_name: str, password_hash: str, role: str):
        self.email = normalise_email(email)
        self.full_name = full_name
        self.password_hash = password_hash
        self.role = role
        self.disabled_at: datetime | None = None
        self.disable_reason: str | None = None

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

    def change_role(self, role: str) -> None:
        """Give the user another role (no event when it is already theirs)."""
        self.check_active()
        if role != self.role:
            self._role_changed(role=role, previous_role=self.role)

    @event("RoleChanged")
    def _role_changed(self, role: str, previous_role: str) -> None:
        self.role = role

    def disable(self, reason: str | None = None) -> None:
        """Stop the account from being used; disabling twice keeps the first time and reason."""
        if not self.disabled:
            self._disabled(reason=reason)

    @event("Disabled")
    def _disabled(self, reason: str | None) -> None:
        self.disabled_at = self.modified_on
        self.disable_reason = reason

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
