"""Roles: named sets of permissions, and the index of which roles exist."""

from __future__ import annotations

import re
from collections.abc import Iterable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.permissions import ALL as KNOWN_PERMISSIONS

from users_service.domain.errors import InvalidRole

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")


def role_id(name: str) -> UUID:
    """Deterministic id: defining a role twice concurrently is a version conflict, not two roles."""
    return uuid5(NAMESPACE_URL, f"/users/roles/{name}")


def check_definition(name: str, permissions: Iterable[str]) -> tuple[str, ...]:
    """Raises InvalidRole for a bad name or unknown permissions; returns the permissions sorted, unique."""
    if not ROLE_NAME.match(name):
        raise InvalidRole(f"role name {name!r} must be 2-32 lower-case letters, digits, '-' or '_'")
    perms = tuple(sorted(set(permissions)))
    unknown = [p for p in perms if p not in KNOWN_PERMISSIONS]
    if unknown:
        raise InvalidRole(f"unknown permissions: {', '.join(unknown)}")
    return perms


class Role(Aggregate):
    """What holders of a role may do."""

    @staticmethod
    def create_id(name: str, permissions: tuple[str, ...]) -> UUID:
        return role_id(name)

    @classmethod
    def define(cls, name: str, permissions: Iterable[str]) -> Role:
        """A new role; raises InvalidRole for a bad name or unknown permissions."""
        return cls(name, check_definition(name, permissions))

    # Declared with their fields (see User): same stored topics, and visible to type checkers.
    class Defined(Aggregate.Created):
        name: str
        permissions: tuple[str, ...]

    @event(Defined)
    def __init__(self, name: str, permissions: tuple[str, ...]):
        # No checks here: replaying old events must not fail when the rules change later.
        self.name = name
        self.permissions = tuple(permissions)
        self.tokens_valid_from = 0  # holders' tokens issued at an earlier role version are void

    def redefine(self, permissions: Iterable[str]) -> None:
        """Replace the permissions (no event when nothing changes)."""
        perms = check_definition(self.name, permissions)
        if perms != self.permissions:
            self._redefined(name=self.name, permissions=perms)

    class Redefined(Aggregate.Event):
        name: str
        permissions: tuple[str, ...]

    @event(Redefined)
    def _redefined(self, name: str, permissions: tuple[str, ...]) -> None:
        self.permissions = tuple(permissions)
        self.tokens_valid_from = self.version + 1  # inside the event's body: the version it creates


ROLE_INDEX_ID = uuid5(NAMESPACE_URL, "/users/roles")


class RoleIndex(Aggregate):
    """The names of all roles, saved together with each new Role so listing roles needs no read model."""

    @staticmethod
    def create_id() -> UUID:
        return ROLE_INDEX_ID

    @event("Opened")
    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, name: str) -> None:
        if name not in self.names:
            self._added(name=name)

    @event("Added")
    def _added(self, name: str) -> None:
        self.names.append(name)
