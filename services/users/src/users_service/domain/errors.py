"""Named rule violations of the users domain; the API maps each to one HTTP status."""


class UsersError(Exception):
    """Base of every users domain error."""


class EmailAlreadyRegistered(UsersError):
    """Raised when someone registers with an e-mail that already has an account (any letter case)."""


class UserNotFound(UsersError):
    """Raised when a command or query names a user that does not exist."""


class InvalidCredentials(UsersError):
    """Raised when an e-mail/password pair does not match an account (deliberately not saying which part)."""


class AccountDisabled(UsersError):
    """Raised when a disabled user tries to log in, refresh a session, or be given a new role."""


class RefreshTokenInvalid(UsersError):
    """Raised when a refresh token is malformed, unknown, expired, or its family was revoked."""


class RefreshTokenReused(RefreshTokenInvalid):
    """Raised when an already-rotated refresh token comes back: the family is revoked (RFC 9700 §4.14.2)."""


class UnknownRole(UsersError):
    """Raised when a user is given a role that has not been defined."""


class InvalidRole(UsersError):
    """Raised when a role definition has a bad name or names permissions that do not exist."""


class SettingNotFound(UsersError):
    """Raised when a setting that was never set is read."""


class InvalidSetting(UsersError):
    """Raised when a setting's value does not match its declared type or the rules for that key."""


class WeakPassword(UsersError):
    """Raised when a new password is common, breached-list-like or otherwise easy to guess (zxcvbn score < 3)."""


class WrongPassword(UsersError):
    """Raised when a password change names a current password that is not the account's."""


class PasswordResetInvalid(UsersError):
    """Raised when a password-reset token is malformed, unknown, already used, superseded or expired."""


class BeyondYourPermissions(UsersError):
    """Raised when someone grants, defines or manages a role holding permissions they do not hold themselves."""


class OwnAccountManagement(UsersError):
    """Raised when an admin disables, demotes or force-resets their own account: with one admin, nobody could
    undo it (another admin may)."""


class AccountNotDisabled(UsersError):
    """Raised when an account that is not disabled is re-enabled."""
