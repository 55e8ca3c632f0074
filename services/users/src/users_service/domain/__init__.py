"""The users domain: accounts, unique e-mails, refresh-token families, roles and settings. No I/O."""

from users_service.domain.errors import (
    AccountDisabled,
    AccountNotDisabled,
    BeyondYourPermissions,
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidRole,
    InvalidSetting,
    OwnAccountManagement,
    PasswordResetInvalid,
    RefreshTokenInvalid,
    RefreshTokenReused,
    SettingNotFound,
    UnknownRole,
    UserNotFound,
    UsersError,
    WeakPassword,
    WrongPassword,
)
from users_service.domain.password_policy import check_password_strength
from users_service.domain.role import ROLE_INDEX_ID, Role, RoleIndex, role_id
from users_service.domain.setting import Setting, setting_id
from users_service.domain.token_family import TokenFamily
from users_service.domain.user import EmailRegistration, User, email_registration_id, normalise_email

__all__ = [
    "ROLE_INDEX_ID", "AccountDisabled", "AccountNotDisabled", "BeyondYourPermissions", "OwnAccountManagement",
    "PasswordResetInvalid",
    "WeakPassword", "WrongPassword", "check_password_strength", "EmailAlreadyRegistered", "EmailRegistration",
    "InvalidCredentials",
    "InvalidRole", "InvalidSetting", "RefreshTokenInvalid", "RefreshTokenReused", "Role", "RoleIndex", "Setting",
    "SettingNotFound", "TokenFamily", "UnknownRole", "User", "UserNotFound", "UsersError", "email_registration_id",
    "normalise_email", "role_id", "setting_id",
]
