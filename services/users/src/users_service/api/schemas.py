"""Request and response bodies of the users API (seed-compatible field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from contracts import limits as lim
from webkit.fields import BoundedJson, Line, Text

from users_service.domain import User
from users_service.domain.setting import SettingState

Locale = Literal["ru", "en"]

class UserCreate(BaseModel):
    """Registration (seed: email, full_name, password)."""

    email: EmailStr = Field(max_length=lim.EMAIL, examples=["ada@example.com"])
    full_name: Annotated[str, Line(lim.FULL_NAME, min_length=1)] = Field(examples=["Ada Lovelace"])
    password: str = Field(min_length=8, max_length=lim.PASSWORD, examples=["correct horse battery"])
    locale: Locale | None = Field(default=None, description="Language of e-mails and messages; the "
                                  "`default_locale` setting when omitted.", examples=["ru"])

    @field_validator("full_name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("full_name must not be blank")
        return value.strip()


class UserUpdate(BaseModel):
    """Changes to your own account (PATCH /api/v1/users/me); omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    locale: Locale | None = Field(default=None, description="Language of e-mails and messages.", examples=["en"])


class UserLogin(BaseModel):
    """Login with e-mail and password."""

    email: str = Field(max_length=lim.EMAIL, examples=["ada@example.com"])
    password: str = Field(max_length=lim.PASSWORD, examples=["correct horse battery"])


class RefreshRequest(BaseModel):
    """A refresh token from a previous login or refresh."""

    refresh_token: str = Field(min_length=1, max_length=lim.REFRESH_TOKEN)


class TokenResponse(BaseModel):
    """An access token (JWT, short-lived) and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[900])


class UserPublic(BaseModel):
    """An account as clients see it (never the password)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    full_name: str
    role: str
    disabled: bool = False
    created_at: datetime
    locale: str | None = Field(default=None, description="Language of e-mails and messages (ru or en).")

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(id=user.id, email=user.email, full_name=user.full_name, role=user.role, disabled=user.disabled,
                   created_at=user.registered_at, locale=user.locale)


class RoleChange(BaseModel):
    """The role to give a user."""

    role: Annotated[str, Line(lim.ROLE_NAME, min_length=1)] = Field(examples=["organizer"])


class DisableRequest(BaseModel):
    """Why an account is disabled (kept in the audit trail)."""

    reason: Annotated[str, Text(lim.DISABLE_REASON)] | None = Field(default=None, examples=["fraud"])


class RoleCreate(BaseModel):
    """A role and the permissions it grants (replaces them if the role exists)."""

    name: Annotated[str, Line(lim.ROLE_NAME, min_length=1)] = Field(examples=["moderator"])
    permissions: list[Annotated[str, Line(lim.PERMISSION, min_length=1)]] = Field(max_length=lim.PERMISSIONS,
                                                                                   examples=[["reviews:moderate"]])


class RolePublic(BaseModel):
    name: str
    permissions: list[str]


class SettingPut(BaseModel):
    """A setting's new value; its type comes from the setting's definition (GET /api/v1/settings). The value's
    size is bounded here; what values a setting accepts is the setting's own rule."""

    value: Annotated[Any, BoundedJson(lim.SETTING_VALUE_BYTES)] = Field(examples=[15])
    type: Literal["string", "number", "bool", "json"] | None = Field(
        default=None, description="Optional (the seed's form): accepted when it agrees with the definition.",
        examples=["number"])


class SettingPublic(BaseModel):
    """A setting's value beside its definition: default, type, bounds and what it is for."""

    key: str = Field(examples=["booking_hold_minutes"])
    value: Any = Field(description="The value in force (the default while `is_default`).", examples=[15])
    type: str = Field(description="string, number, bool or json.", examples=["number"])
    default: Any = Field(description="The value in force while nobody set it (or after DELETE).", examples=[15])
    is_default: bool = Field(description="Whether the setting holds its default (never set, or reset).")
    minimum: float | None = Field(default=None, description="Lowest allowed number.", examples=[1])
    maximum: float | None = Field(default=None, description="Highest allowed number.", examples=[10080])
    whole: bool = Field(default=False, description="Whether a number must be whole.")
    choices: list[str] | None = Field(default=None, description="The allowed values of a string setting.")
    pattern: str | None = Field(default=None, description="Regular expression a string value must match.")
    description: str = Field(description="What the setting is for, in one line.")

    @classmethod
    def of(cls, state: SettingState) -> SettingPublic:
        k = state.known
        return cls(key=state.key, value=state.value, type=k.type, default=k.default, is_default=state.is_default,
                   minimum=k.minimum, maximum=k.maximum, whole=k.whole, choices=list(k.choices) or None,
                   pattern=k.pattern, description=k.description)


class PasswordChange(BaseModel):
    """The caller's current password and the new one (checked against common and easily guessed passwords)."""

    current_password: str = Field(min_length=1, max_length=lim.PASSWORD, examples=["analytical-engine"])
    new_password: str = Field(min_length=8, max_length=lim.PASSWORD, examples=["difference engine no. 2"])


class PasswordResetIssued(BaseModel):
    """A forced reset: the user's password and sessions are void until they use the one-time token."""

    user_id: UUID
    expires_at: datetime = Field(description="When the token stops working (UTC).")
    delivery: Literal["response", "pending"] = Field(
        description="`response`: the token is in this response (development only). `pending`: the token is "
                    "kept from the admin and goes to the user by e-mail once notifications are in place.")
    reset_token: str | None = Field(default=None, description="The one-time token (development only).")


class PasswordResetComplete(BaseModel):
    """A one-time reset token and the new password."""

    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=lim.PASSWORD, examples=["difference engine no. 2"])
