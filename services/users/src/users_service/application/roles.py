"""Roles: named sets of permissions, defined and redefined by admins (never beyond what they hold)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from users_service.domain import ROLE_INDEX_ID, Role, RoleIndex, UnknownRole, role_id
from users_service.domain.role import check_definition

if TYPE_CHECKING:
    from users_service.application.users import Users


class Roles:
    """Mixed into Users: defining roles and reading what they grant."""

    def define_role(self: Users, name: str, permissions: Iterable[str], *, by: UUID | None = None
                    ) -> tuple[Role, bool]:
        """Create a role or replace its permissions; returns the role and whether it is new.

        `by` must hold every permission the role grants, before and after (BeyondYourPermissions).
        """
        permissions = check_definition(name, permissions)  # a bad definition is 422 before any ceiling 403

        def define() -> tuple[Role, bool]:
            if by is not None:
                self.check_ceiling(by, permissions, f"defining the role {name!r}")
            try:
                role = self.repository.get(role_id(name))
            except AggregateNotFoundError:
                role, index = Role.define(name, permissions), self._role_index()
                index.add(name)
                self.save(role, index)
                return role, True
            if by is not None:
                self.check_ceiling(by, role.permissions, f"redefining the role {name!r}")
            role.redefine(permissions)
            self.save(role)
            return role, False
        return self._retrying(define)

    def roles(self: Users) -> list[Role]:
        """Every defined role, in the order they were defined."""
        return [self.repository.get(role_id(name)) for name in self._role_index().names]

    def check_role_exists(self: Users, name: str) -> Role:
        """The role of that name; raises UnknownRole."""
        return self._get(role_id(name), Role, UnknownRole(f"role {name!r} is not defined"))

    def permissions_of(self: Users, role: str) -> tuple[str, ...]:
        """The permissions a role grants now (an undefined role grants none)."""
        try:
            return tuple(self.repository.get(role_id(role)).permissions)
        except AggregateNotFoundError:
            return ()

    def _role_index(self: Users) -> RoleIndex:
        try:
            return self.repository.get(ROLE_INDEX_ID)
        except AggregateNotFoundError:
            return RoleIndex()
