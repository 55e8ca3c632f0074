"""Where the infrastructure is: read from the environment (deploy/env.sh sets these locally)."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production"]
S = TypeVar("S", bound=BaseSettings)


class UnsafeConfiguration(SystemExit):
    """Raised at start-up in production when a setting is a development default; one line per reason.

    A SystemExit, so an uncaught one ends the process with its message and no traceback.
    """

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("refusing to start with ENVIRONMENT=production:\n" + "\n".join(f"  - {r}" for r in reasons))


class InfraSettings(BaseSettings):
    """PostgreSQL server and Kafka brokers; each service picks its own database name."""

    model_config = SettingsConfigDict(extra="ignore")

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 55432
    postgres_user: str = "eventplanner"
    postgres_password: str = "eventplanner"
    postgres_pool_size: int = 10
    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    # A consumer partition failing with a transient error is retried with backoff, at most this many seconds
    # apart, and raises a `consumer_stalled` alarm once stuck this long
    # (CONSUMER_RETRY_MAX_SECONDS, CONSUMER_ALARM_AFTER_SECONDS).
    consumer_retry_max_seconds: float = 30.0
    consumer_alarm_after_seconds: float = 30.0
    # Interface the api process binds: loopback locally (the gateway is on the same host), 0.0.0.0 in containers.
    api_host: str = "127.0.0.1"
    # `production` refuses development defaults (secrets, sandbox payments) at start-up: see check_startup.
    environment: Environment = "development"

    @field_validator("environment", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def unsafe_for_production(self) -> list[str]:
        """One line per setting that must not be used in production; services extend it with their own."""
        return []

    def check_startup(self) -> None:
        """Raise UnsafeConfiguration in production when any setting is unsafe; every process calls it first."""
        if self.production and (reasons := self.unsafe_for_production()):
            raise UnsafeConfiguration(reasons)

    def conninfo(self, dbname: str) -> str:
        """libpq connection string for one service's database."""
        return (f"host={self.postgres_host} port={self.postgres_port} dbname={dbname} "
                f"user={self.postgres_user} password={self.postgres_password}")


def load_settings(cls: type[S]) -> S:
    """`cls()` from the environment; a bad value ends the process with one line per problem and no traceback.

    Messages name the variable and the rule, never the value (it may be a secret).
    """
    try:
        return cls()
    except ValidationError as exc:
        lines = [f"  - {'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()]
        raise SystemExit("invalid configuration:\n" + "\n".join(lines)) from None
