"""The Users application: one eventsourcing Application composed of its purposes (accounts, sessions,
credentials, roles, settings), plus start-up seeding and the load/retry plumbing they share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.permissions import ADMIN, ALL, DEFAULT_ROLES
from spine.eventstore import ServiceApplication
from users_service.application.accounts import Accounts
from users_service.application.credentials import Credentials
from users_service.application.platform_settings import PlatformSettings
from users_service.application.roles import Roles
from users_service.application.sessions import Sessions, TokenPolicy
from users_service.domain import EmailAlreadyRegistered, RoleIndex, Setting, TokenFamily, role_id
from users_service.keys import KeyRing
from users_service.passwords import Passwords

T = TypeVar("T")


class Users(Accounts, Sessions, Credentials, Roles, PlatformSettings, ServiceApplication):
    """Accounts, sessions, passwords, roles and settings of the platform, in one event store."""

    snapshotting_intervals = {TokenFamily: 50, RoleIndex: 50, Setting: 50}

    def __init__(self, env: dict[str, str] | None = None, *, keys: KeyRing | None = None,
                 passwords: Passwords | None = None, policy: TokenPolicy | None = None):
        super().__init__(env)
        self.keys = keys
        self.passwords = passwords or Passwords()
        self.policy = policy or TokenPolicy()

    def seed(self, admin_email: str, admin_password: str) -> None:
        """Create missing default roles and the first admin; safe to run on every start of every replica."""
        for name, permissions in DEFAULT_ROLES.items():
            if role_id(name) not in self.repository:
                self._ignore_conflict(lambda n=name, p=permissions: self.define_role(n, p))
        # Permissions added in a later release reach the admin role of an existing deployment.
        admin_role = self.check_role_exists(ADMIN)
        if not set(ALL) <= set(admin_role.permissions):
            self._ignore_conflict(lambda: self.define_role(ADMIN, {*admin_role.permissions, *ALL}))
        if self.user_by_email(admin_email) is None:
            try:
                # Not strength-checked: in production the settings refuse a weak or default ADMIN_PASSWORD.
                self.register(admin_email, "Administrator", admin_password, role=ADMIN, check_strength=False)
            except EmailAlreadyRegistered:
                pass  # another replica was faster

    def _get(self, aggregate_id: UUID, kind: type[T], missing: Exception) -> T:
        """The aggregate of that kind, or `missing` raised. Ids come from requests (a user id, the id part of a
        refresh token) and some aggregates have public deterministic ids (roles, settings): an id naming an
        aggregate of another kind is as missing as an unknown one."""
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(found, kind):
            raise missing
        return found

    @staticmethod
    def _retrying(command: Callable[[], T], attempts: int = 3) -> T:
        """Re-run a command that lost an optimistic-concurrency race (it reloads the aggregates); after the
        last attempt the IntegrityError reaches the API, which answers 409 with Retry-After."""
        for attempt in range(attempts):
            try:
                return command()
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _ignore_conflict(command: Callable[[], object]) -> None:
        try:
            command()
        except IntegrityError:
            pass
