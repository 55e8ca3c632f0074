"""Accounts: registration, profile, role changes, disabling and re-enabling, and token revocation checks.

Managing another account is bounded by the manager's own permissions (`check_ceiling`): nobody grants or
takes away more than they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.permissions import PARTICIPANT
from spine import context

from users_service.application.platform_settings import PlatformSettings
from users_service.application.roles import Roles
from users_service.domain import (
    EmailAlreadyRegistered,
    EmailRegistration,
    User,
    UserNotFound,
    check_password_strength,
    role_id,
)


class Accounts(Roles, PlatformSettings):
    """The commands and queries about one account (roles: who may manage whom; settings: the default locale)."""

    def register(self, email: str, full_name: str, password: str, role: str = PARTICIPANT, *,
                 check_strength: bool = True, locale: str | None = None) -> User:
        """Create an account; raises EmailAlreadyRegistered when the e-mail (any case) is taken, WeakPassword.

        Without a `locale` the account gets the `default_locale` setting's value at this moment."""
        self.check_role_exists(role)
        if check_strength:
            check_password_strength(password, user_inputs=(email, full_name))
        user = User(email, full_name.strip(), self.passwords.hash(password), role,
                    locale=locale or self.default_locale())
        claim = EmailRegistration(email, user.id)
        try:
            # Signing up is the new user's own act (the audit log's actor); an admin creating one stays the actor.
            with context.caused_by(actor_id=context.current().actor_id or str(user.id)):
                self.save(user, claim)
        except IntegrityError:
            raise EmailAlreadyRegistered(f"an account for {user.email} already exists") from None
        return user

    def change_locale(self, user_id: UUID, locale: str) -> User:
        """The user's language for e-mails and messages; raises UserNotFound."""
        def change() -> User:
            user = self.user(user_id)
            user.change_locale(locale)
            self.save(user)
            return user
        return self._retrying(change)

    def is_revoked(self, user_id: UUID, user_version: int | None = None, role: str | None = None,
                   role_version: int | None = None) -> bool:
        """Whether an access token must be refused: the account is disabled or gone, or the token was issued
        before a role/password change or re-enabling (`user_version`) or before its role was redefined."""
        try:
            user = self.user(user_id)
        except UserNotFound:
            return True
        if user.disabled or (user_version or 0) < user.tokens_valid_from:
            return True
        try:
            defined = self.repository.get(role_id(role)) if role else None
        except AggregateNotFoundError:
            return True
        return defined is not None and (role_version or 0) < defined.tokens_valid_from

    def change_role(self, user_id: UUID, role: str, *, by: UUID | None = None) -> User:
        """Give a user another role; raises UserNotFound, UnknownRole, AccountDisabled, BeyondYourPermissions.

        `by` (the admin) must hold every permission of the new role and of the user's current one.
        """
        new_role = self.check_role_exists(role)

        def change(user: User) -> None:
            if by is not None:
                self.check_ceiling(by, new_role.permissions, f"granting the role {role!r}")
                self.check_ceiling(by, self.permissions_of(user.role), f"changing the role of a {user.role}")
            user.check_managed_by(by)
            user.change_role(role)
        return self._retrying(lambda: self._change(user_id, change))

    def disable(self, user_id: UUID, reason: str | None = None, *, by: UUID | None = None) -> User:
        """Disable an account: no more logins or refreshes, and services refuse its access tokens."""
        def disable(user: User) -> None:
            self._manageable(user, by)
            user.disable(reason)
        return self._retrying(lambda: self._change(user_id, disable))

    def enable(self, user_id: UUID, *, by: UUID | None = None) -> User:
        """Re-enable a disabled account; raises AccountNotDisabled. Its old tokens and sessions stay void."""
        def enable(user: User) -> None:
            self._manageable(user, by)
            user.enable()
        return self._retrying(lambda: self._change(user_id, enable))

    def _manageable(self, user: User, by: UUID | None) -> None:
        if by is not None:
            self.check_ceiling(by, self.permissions_of(user.role), f"managing a {user.role}")
        user.check_managed_by(by)

    def _change(self, user_id: UUID, command: Callable[[User], None]) -> User:
        user = self.user(user_id)
        command(user)
        self.save(user)
        return user
