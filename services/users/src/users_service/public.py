"""Internal users events → public `users.v1` contracts. The only module that knows both (used by the relay).

Sessions (token families), e-mail claims and password re-hashes stay private: no other service needs them.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts.users import RoleDefined, SettingChanged, UserDisabled, UserRegistered, UserRoleChanged
from users_service.domain import Role, Setting, User


@singledispatch
def translate(domain_event: Any) -> BaseModel | None:
    """The public message for an internal event, or None when it is not published."""
    return None


@translate.register
def _(e: User.Registered) -> BaseModel:
    return UserRegistered(user_id=e.originator_id, email=e.email.strip().lower(), full_name=e.full_name,
                          role=e.role, registered_at=e.timestamp)


@translate.register
def _(e: User.RoleChanged) -> BaseModel:
    return UserRoleChanged(user_id=e.originator_id, role=e.role, previous_role=e.previous_role)


@translate.register
def _(e: User.Disabled) -> BaseModel:
    return UserDisabled(user_id=e.originator_id, disabled_at=e.timestamp, reason=e.reason)


@translate.register
def _(e: Role.Defined) -> BaseModel:
    return RoleDefined(name=e.name, permissions=list(e.permissions))


@translate.register
def _(e: Role.Redefined) -> BaseModel:
    return RoleDefined(name=e.name, permissions=list(e.permissions))


@translate.register
def _(e: Setting.Defined) -> BaseModel:
    return SettingChanged(key=e.key, type=e.type_, value=e.value)


@translate.register
def _(e: Setting.Changed) -> BaseModel:
    return SettingChanged(key=e.key, type=e.type_, value=e.value)
