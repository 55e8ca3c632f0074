"""Roles: named sets of permissions, defined and redefined by admins (never beyond what they hold)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from users_service.application.base import UsersBase
from users_service.domain import (
    ROLE_INDEX_ID,
    BeyondYourPermissions,
    Role,
    RoleIndex,
    UnknownRole,
    UserNotFound,
    role_id,
)
from users_service.domain.role import check_definition


class Roles(UsersBase):
    """Defining roles, reading what they grant, and the ceiling no manager may go beyond."""

    def define_role(self, name: str, permissions: Iterable[str], *, by: UUID | None = None
                    ) -> tuple[Role, bool]:
        """Create a role or replace its permissions; returns the role and whether it is new.

        `by` must hold every permission the role grants, before and after (BeyondYourPermissions).
        """
        permissions = check_definition(name, permissions)  # a bad definition is 422 before any ceiling 403

        def define() -> tuple[Role, bool]:
            if by is not None:
                self.check_ceiling(by, permissions, f"defining the role {name!r}")
            try:
                role: Role = self.repository.get(role_id(name))
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

    def roles(self) -> list[Role]:
        """Every defined role, in the order they were defined."""
        return [self.repository.get(role_id(name)) for name in self._role_index().names]

    def check_role_exists(self, name: str) -> Role:
        """The role of that name; raises UnknownRole."""
        return self._get(role_id(name), Role, UnknownRole(f"role {name!r} is not defined"))

    def permissions_of(self, role: str) -> tuple[str, ...]:
        """The permissions a role grants now (an undefined role grants none)."""
        try:
            return tuple(self.repository.get(role_id(role)).permissions)
        except AggregateNotFoundError:
            return ()

    def _role_index(self) -> RoleIndex:
        try:
            return self.repository.get(ROLE_INDEX_ID)
        except AggregateNotFoundError:
            return RoleIndex()

    def check_ceiling(self, actor_id: UUID, permissions: Iterable[str], action: str) -> None:
        """Raises BeyondYourPermissions unless the actor's role (as defined now) holds every permission."""
        try:
            held = set(self.permissions_of(self.user(actor_id).role))
        except UserNotFound:
            held = set()
        missing = sorted(set(permissions) - held)
        if missing:
            raise BeyondYourPermissions(f"{action} needs permissions you do not hold: {', '.join(missing)}")
