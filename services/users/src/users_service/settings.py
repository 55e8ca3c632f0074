"""Configuration of the users service (the seed's variables keep their names and meaning)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator

from authkit.settings import AUDIENCE, ISSUER
from contracts import topics
from spine.settings import InfraSettings

from users_service.domain.password_policy import WeakPassword, check_password_strength

DEFAULT_SECRET_KEY = "change_me"
DEFAULT_ADMIN_PASSWORD = "admin-change-me"


class Settings(InfraSettings):
    """Environment variables of the users `api` and `worker` processes."""

    database: str = Field("users", validation_alias=AliasChoices("USERS_DATABASE", "database"))
    port: int = Field(8101, validation_alias=AliasChoices("USERS_PORT", "port"))
    topic: str = topics.USERS
    # Topics the audit log reads. None: every public event topic — or, when `topic` is a test's throwaway
    # users topic, that topic alone (so tests never read the shared topics).
    audit_topics: tuple[str, ...] | None = None

    debug: bool = False
    log_level: str = "INFO"
    # Encrypts the signing keys at rest; tokens themselves are signed with an asymmetric key.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    # The seed had 1440 (a day). Access tokens are checked locally by every service and cannot be recalled
    # one by one, so they are short-lived: a disabled user's last token dies within minutes at most.
    access_token_expire_minutes: int = Field(15, ge=1, le=1440)
    refresh_token_expire_days: int = Field(14, ge=1, le=365)
    # Reserved by the seed for HS256; other services verify tokens with a public key, so only asymmetric ones.
    algorithm: Literal["EdDSA", "RS256"] = "EdDSA"
    token_issuer: str = ISSUER
    token_audience: str = AUDIENCE

    # Argon2 runs on a pool of its own so a burst of sign-ins cannot starve other requests; sign-ins beyond
    # workers + queue are refused with 503 and Retry-After (see passwords.py).
    password_hash_workers: int = Field(2, ge=1, le=64)
    password_hash_queue: int = Field(8, ge=0, le=10_000)

    admin_email: str = "admin@example.com"
    admin_password: SecretStr = SecretStr(DEFAULT_ADMIN_PASSWORD)
    # How long an admin-forced password-reset token stays usable.
    password_reset_expire_minutes: int = Field(60, ge=5, le=7 * 24 * 60)

    def audit_event_topics(self) -> tuple[str, ...]:
        """What the audit log consumes (see `audit_topics`)."""
        if self.audit_topics is not None:
            return self.audit_topics
        return topics.EVENT_TOPICS if self.topic == topics.USERS else (self.topic,)

    def unsafe_for_production(self) -> list[str]:
        """Development defaults that must not reach production (ENVIRONMENT=production refuses to start)."""
        reasons = super().unsafe_for_production()
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            reasons.append("SECRET_KEY is the default 'change_me': set a long random value (it encrypts the "
                           "token-signing keys at rest)")
        elif len(secret) < 32:
            reasons.append("SECRET_KEY is shorter than 32 characters: use a long random value")
        admin_password = self.admin_password.get_secret_value()
        if admin_password == DEFAULT_ADMIN_PASSWORD:
            reasons.append("ADMIN_PASSWORD is the default: set the first admin's own password")
        else:
            try:
                check_password_strength(admin_password, user_inputs=(self.admin_email,))
            except WeakPassword as exc:
                reasons.append(f"ADMIN_PASSWORD is unsafe: {exc}")
        return reasons

    @field_validator("algorithm", mode="before")
    @classmethod
    def _asymmetric_only(cls, value: object) -> object:
        if isinstance(value, str) and value.upper().startswith("HS"):
            raise ValueError(
                f"ALGORITHM={value} is not supported: every service verifies access tokens with the users "
                "service's public key (JWKS), which needs an asymmetric algorithm. Use EdDSA (default) or RS256."
            )
        if isinstance(value, str) and value.lower() in ("eddsa", "ed25519"):
            return "EdDSA"
        return value.upper() if isinstance(value, str) else value
