"""Internal users events → public `users.v1` contracts (`to_public`, used by the relay): the only module that
knows both.

Sessions (token families), e-mail claims, password hashes and reset tokens stay private. That a password
changed is public: every service voids the user's earlier access tokens on UserPasswordChanged.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts.users import (
    RoleDefined,
    SettingChanged,
    SettingReset,
    UserDisabled,
    UserEnabled,
    UserPasswordChanged,
    UserProfileUpdated,
    UserRegistered,
    UserRoleChanged,
)

from users_service.domain import Role, Setting, User


@singledispatch
def to_public(domain_event: Any) -> BaseModel | None:
    """The public message for an internal event, or None when it is not published."""
    return None


@to_public.register
def _(e: User.Registered) -> BaseModel:
    return UserRegistered(user_id=e.originator_id, email=e.email.strip().lower(), full_name=e.full_name,
                          role=e.role, registered_at=e.timestamp,
                          locale=getattr(e, "locale", None))  # events from before locales have none


@to_public.register
def _(e: User.ProfileUpdated) -> BaseModel:
    return UserProfileUpdated(user_id=e.originator_id, locale=e.locale)


@to_public.register
def _(e: User.RoleChanged) -> BaseModel:
    return UserRoleChanged(user_id=e.originator_id, role=e.role, previous_role=e.previous_role)


@to_public.register
def _(e: User.Disabled) -> BaseModel:
    return UserDisabled(user_id=e.originator_id, disabled_at=e.timestamp, reason=e.reason)


@to_public.register
def _(e: User.Enabled) -> BaseModel:
    return UserEnabled(user_id=e.originator_id, enabled_at=e.timestamp)


@to_public.register
def _(e: User.PasswordChanged) -> BaseModel:
    return UserPasswordChanged(user_id=e.originator_id, changed_at=e.timestamp, kind=e.kind)


@to_public.register
def _(e: User.ResetRequired) -> BaseModel:
    return UserPasswordChanged(user_id=e.originator_id, changed_at=e.timestamp, kind="reset_requested")


@to_public.register
def _(e: Role.Defined) -> BaseModel:
    return RoleDefined(name=e.name, permissions=list(e.permissions))


@to_public.register
def _(e: Role.Redefined) -> BaseModel:
    return RoleDefined(name=e.name, permissions=list(e.permissions))


@to_public.register
def _(e: Setting.Defined) -> BaseModel:
    return SettingChanged(key=e.key, type=e.type_, value=e.value)


@to_public.register
def _(e: Setting.Changed) -> BaseModel:
    return SettingChanged(key=e.key, type=e.type_, value=e.value)


@to_public.register
def _(e: Setting.Reset) -> BaseModel:
    return SettingReset(key=e.key)
