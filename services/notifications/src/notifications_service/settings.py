"""Configuration of the notifications service, read from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from authkit import AuthSettings
from spine.settings import InfraSettings

DEV_UNSUBSCRIBE_SECRET = "dev-unsubscribe-secret"
DEV_PUBLIC_URL = "http://127.0.0.1:8000"


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class Settings(InfraSettings, AuthSettings):
    """Where notifications stores its data, which SMTP server it sends through, and whose tokens it trusts."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database: str = Field(default="notifications", validation_alias=_env("NOTIFICATIONS_DATABASE", "database"),
                          description="The service's own PostgreSQL database.")
    port: int = Field(default=8105, validation_alias=_env("NOTIFICATIONS_PORT", "port"),
                      description="HTTP port of the api process.")
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL", "log_level"))

    smtp_host: str = Field(default="127.0.0.1", validation_alias=_env("SMTP_HOST", "smtp_host"),
                           description="SMTP server that delivers e-mail (locally: the sink of deploy/smtp.sh).")
    smtp_port: int = Field(default=1025, validation_alias=_env("SMTP_PORT", "smtp_port"))
    smtp_user: str | None = Field(default=None, validation_alias=_env("SMTP_USER", "smtp_user"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=_env("SMTP_PASSWORD", "smtp_password"))
    smtp_from: str = Field(default="Event Planner <no-reply@eventplanner.local>",
                           validation_alias=_env("SMTP_FROM", "smtp_from"), description="From: of every e-mail.")
    smtp_starttls: bool = Field(default=False, validation_alias=_env("SMTP_STARTTLS", "smtp_starttls"),
                                description="Upgrade the connection with STARTTLS before logging in.")
    smtp_timeout_seconds: float = Field(default=10, validation_alias=_env("SMTP_TIMEOUT", "smtp_timeout_seconds"))

    default_locale: str = Field(default="en", validation_alias=_env("NOTIFICATIONS_DEFAULT_LOCALE", "default_locale"),
                                description="Language of e-mails to users whose locale is not known (ru or en).")
    send_interval_seconds: float = Field(default=1.0, validation_alias=_env("NOTIFICATIONS_SEND_INTERVAL",
                                                                            "send_interval_seconds"),
                                         description="How often the sender looks for due e-mails.")
    send_max_attempts: int = Field(default=5, validation_alias=_env("NOTIFICATIONS_SEND_MAX_ATTEMPTS",
                                                                    "send_max_attempts"),
                                   description="SMTP attempts per e-mail before it is marked failed.")
    send_retry_base_seconds: float = Field(default=2.0, validation_alias=_env("NOTIFICATIONS_RETRY_BASE_SECONDS",
                                                                              "send_retry_base_seconds"),
                                           description="First retry delay; doubles per attempt.")
    recipient_wait_minutes: float = Field(default=10, validation_alias=_env("NOTIFICATIONS_RECIPIENT_WAIT_MINUTES",
                                                                            "recipient_wait_minutes"),
                                          description="How long an e-mail waits for its recipient (or event) to "
                                                      "appear in the local views before it is marked failed.")
    max_age_hours: float = Field(default=72, validation_alias=_env("NOTIFICATIONS_MAX_AGE_HOURS", "max_age_hours"),
                                 description="Events older than this notify nobody (a replay of old topics must "
                                             "not mail everyone their history again).")

    # --- mailings (api/mailings.py, timers/mailing_sender.py) ---
    public_url: str = Field(default=DEV_PUBLIC_URL, validation_alias=_env("PUBLIC_URL", "public_url"),
                            description="Where users reach the gateway: the base of unsubscribe links in e-mails "
                                        "(production: an https URL, as RFC 8058 one-click needs).")
    unsubscribe_secret: SecretStr = Field(default=SecretStr(DEV_UNSUBSCRIBE_SECRET),
                                          validation_alias=_env("UNSUBSCRIBE_SECRET", "unsubscribe_secret"),
                                          description="HMAC key of the unsubscribe links' tokens.")
    mailing_lanes: int = Field(default=16, ge=1, le=64, validation_alias=_env("MAILING_LANES", "mailing_lanes"),
                               description="SMTP connections a mailing is sent over at once (one commit records "
                                           "a round of copies, one per connection; a crash can re-send at "
                                           "most one round).")

    def unsafe_for_production(self) -> list[str]:
        """Anyone knowing the development unsubscribe key could unsubscribe anyone; links must reach users."""
        reasons = super().unsafe_for_production()
        secret = self.unsubscribe_secret.get_secret_value()
        if secret == DEV_UNSUBSCRIBE_SECRET:
            reasons.append("UNSUBSCRIBE_SECRET is the default: anyone can forge unsubscribe links; set a random key")
        elif len(secret) < 32:
            reasons.append("UNSUBSCRIBE_SECRET is shorter than 32 characters")
        if not self.public_url.startswith("https://"):
            reasons.append(f"PUBLIC_URL={self.public_url} is not https: the unsubscribe links in e-mails must "
                           "reach users (RFC 8058 one-click needs https)")
        return reasons
