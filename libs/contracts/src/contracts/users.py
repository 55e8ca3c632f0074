"""What the users service publishes on `users.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import limits as lim
from contracts import topics
from contracts.registry import message

RoleName = str


@message(topics.USERS)
class UserRegistered(BaseModel):
    """A person created an account (or the first admin was created at start-up)."""

    user_id: UUID = Field(description="The new user's id.", examples=["0d6f6f7c-1c4f-4f0e-9d8e-7b6b8e3f2a10"])
    email: str = Field(description="Login e-mail, lower-cased.", examples=["ada@example.com"],
                       json_schema_extra=lim.text(lim.EMAIL))
    full_name: str = Field(description="Display name.", examples=["Ada Lovelace"],
                           json_schema_extra=lim.text(lim.FULL_NAME))
    role: RoleName = Field(description="Role at registration.", examples=["participant"],
                           json_schema_extra=lim.text(lim.ROLE_NAME))
    registered_at: datetime = Field(description="When the account was created (UTC).")
    locale: str | None = Field(default=None, description="Language of the user's messages: `ru` or `en` (absent "
                               "from accounts made before locales existed: use the platform default).",
                               examples=["ru"], json_schema_extra=lim.text(lim.LOCALE))


@message(topics.USERS)
class UserProfileUpdated(BaseModel):
    """A user changed their own account's settings (PATCH /api/v1/users/me); absent fields did not change."""

    user_id: UUID = Field(description="Whose account.")
    locale: str | None = Field(default=None, description="The new language of the user's messages: `ru` or `en`.",
                               examples=["en"], json_schema_extra=lim.text(lim.LOCALE))


@message(topics.USERS)
class UserRoleChanged(BaseModel):
    """An admin gave a user another role: the user's access tokens issued before it are void.

    Tokens carry the user's stream version in their `ver` claim; a token whose `ver` is below this
    envelope's `aggregate_version` was issued with the old role and every service refuses it.
    """

    user_id: UUID = Field(description="Whose role changed.")
    role: RoleName = Field(description="The new role.", examples=["organizer"],
                           json_schema_extra=lim.text(lim.ROLE_NAME))
    previous_role: RoleName = Field(description="The role before.", examples=["participant"],
                                    json_schema_extra=lim.text(lim.ROLE_NAME))


@message(topics.USERS)
class UserDisabled(BaseModel):
    """An admin disabled a user: every service must stop accepting that user's tokens (until UserEnabled)."""

    user_id: UUID = Field(description="The disabled user.")
    disabled_at: datetime = Field(description="When (UTC); tokens issued before this are void.")
    reason: str | None = Field(default=None, description="Why, for the audit trail.", examples=["fraud"],
                                json_schema_extra=lim.text(lim.DISABLE_REASON))


@message(topics.USERS)
class UserEnabled(BaseModel):
    """An admin re-enabled a disabled user: tokens issued from now on are accepted again.

    Tokens from before (`ver` below this envelope's `aggregate_version`) stay void.
    """

    user_id: UUID = Field(description="The re-enabled user.")
    enabled_at: datetime = Field(description="When (UTC).")


@message(topics.USERS)
class UserPasswordChanged(BaseModel):
    """A user's password changed or an admin forced a reset: their sessions and earlier access tokens are void.

    Tokens whose `ver` claim is below this envelope's `aggregate_version` are refused by every service.
    """

    user_id: UUID = Field(description="Whose password changed.")
    changed_at: datetime = Field(description="When (UTC).")
    kind: str = Field(description="`changed` by the user, `reset_requested` by an admin (the old password no "
                                  "longer works), or `reset` completed with a one-time reset token.",
                      examples=["changed"], json_schema_extra=lim.text(lim.REASON))


@message(topics.USERS)
class RoleDefined(BaseModel):
    """A role was created or its permissions replaced.

    A replacement (envelope `aggregate_version` above 1) voids the holders' access tokens whose `rver` claim
    (the role's version when the token was issued) is below the envelope's `aggregate_version`.
    """

    name: RoleName = Field(description="Role name.", examples=["support"], json_schema_extra=lim.text(lim.ROLE_NAME))
    permissions: list[str] = Field(description="Permission names granted by the role.", examples=[["support:reply"]],
                                   json_schema_extra=lim.strings(lim.PERMISSIONS, lim.PERMISSION))


@message(topics.USERS)
class SettingChanged(BaseModel):
    """An admin changed a platform setting; services that use it update their copy."""

    key: str = Field(description="Setting key.", examples=["booking_hold_minutes"],
                     json_schema_extra=lim.text(lim.SETTING_KEY))
    type: Literal["string", "number", "bool", "json"] = Field(description="Value type.", examples=["number"])
    value: Any = Field(description="The new value, already of `type`.", examples=[15],
                       json_schema_extra={"x-max-bytes": lim.SETTING_VALUE_BYTES})


@message(topics.USERS)
class SettingReset(BaseModel):
    """An admin returned a platform setting to its default; services that use it drop their copy's value and
    obey their own default again (the same default the users service lists in GET /api/v1/settings)."""

    key: str = Field(description="Setting key.", examples=["booking_hold_minutes"],
                     json_schema_extra=lim.text(lim.SETTING_KEY))
