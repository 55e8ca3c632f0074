"""The Users application: accounts, sessions, credentials, roles and settings in one event store, and its
start-up seeding."""

from __future__ import annotations

from functools import partial

from contracts.permissions import ADMIN, ALL, DEFAULT_ROLES

from users_service.application.accounts import Accounts
from users_service.application.credentials import Credentials
from users_service.application.sessions import Sessions
from users_service.domain import EmailAlreadyRegistered, RoleIndex, Setting, TokenFamily, role_id


class Users(Credentials, Accounts, Sessions):
    """Accounts, sessions, passwords, roles and settings of the platform (each purpose in its own module)."""

    snapshotting_intervals = {TokenFamily: 50, RoleIndex: 50, Setting: 50}

    def seed(self, admin_email: str, admin_password: str) -> None:
        """Create missing default roles and the first admin; safe to run on every start of every replica."""
        for name, permissions in DEFAULT_ROLES.items():
            if role_id(name) not in self.repository:
                self._ignore_conflict(partial(self.define_role, name, permissions))
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
