"""Where the infrastructure is: read from the environment (deploy/env.sh sets these locally)."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production"]
S = TypeVar("S", bound=BaseSettings)

if TYPE_CHECKING:
    from faststream.security import BaseSecurity


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
    # Kafka is a trust boundary: every client authenticates as its own principal (contracts.access) and the
    # broker's ACLs decide what it may read and write. PLAINTEXT only for an external broker without auth.
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL", "SSL", "PLAINTEXT"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None  # CA bundle for SSL/SASL_SSL; the system's when unset
    # A consumer partition failing with a transient error is retried with backoff, at most this many seconds
    # apart, and raises a `consumer_stalled` alarm once stuck this long
    # (CONSUMER_RETRY_MAX_SECONDS, CONSUMER_ALARM_AFTER_SECONDS).
    consumer_retry_max_seconds: float = 30.0
    consumer_alarm_after_seconds: float = 30.0
    # Worker liveness (spine.liveness): checked every HEALTH_CHECK_SECONDS; a relay behind its store and unmoved
    # for RELAY_STUCK_AFTER_SECONDS is stuck (a consumer: CONSUMER_ALARM_AFTER_SECONDS). WORKER_PORT: the
    # worker's /metrics and /health listener (none when unset; deploy/env.sh gives each worker one).
    health_check_seconds: float = 5.0
    relay_stuck_after_seconds: float = 30.0
    worker_port: int | None = None
    # Appended to every consumer group of a worker: a test's in-process worker on its own topics must not
    # share a group with the running system's worker of the same service (a group's leader assigns only
    # the topics it knows, so the newcomer could get no partitions at all).
    consumer_group_suffix: str = ""
    # Interface the api process binds: loopback locally (the gateway is on the same host), 0.0.0.0 in containers.
    api_host: str = "127.0.0.1"
    # `production` refuses development defaults (secrets, sandbox payments) at start-up: see check_startup.
    environment: Environment = "development"
    # PROJECT_NAME: the first half of every service's docs title ("Event Planner — bookings").
    project_name: str = "Event Planner"
    api_version: str = "1.0.0"  # API_VERSION: the version every service's OpenAPI document shows

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

    def _sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    def _credentials(self) -> tuple[str, str]:
        if not self.kafka_username or self.kafka_password is None:
            raise ValueError(f"Kafka security protocol {self.kafka_security_protocol} needs KAFKA_USERNAME and "
                             "KAFKA_PASSWORD (each process authenticates as its own principal; see README)")
        return self.kafka_username, self.kafka_password.get_secret_value()

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.kafka_security_protocol.endswith("SSL"):
            return None
        return ssl.create_default_context(cafile=self.kafka_ssl_cafile)

    def kafka_client_options(self) -> dict[str, Any]:
        """Security keyword arguments for every aiokafka client (producer, consumer, admin): `**` them in."""
        options: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        if context := self._ssl_context():
            options["ssl_context"] = context
        if self._sasl():
            username, password = self._credentials()
            options |= {"sasl_mechanism": self.kafka_sasl_mechanism, "sasl_plain_username": username,
                        "sasl_plain_password": password}
        return options

    def kafka_security(self) -> BaseSecurity | None:
        """The same settings as a FastStream `security=` object, for `KafkaBroker`."""
        from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

        context = self._ssl_context()
        if not self._sasl():
            return BaseSecurity(ssl_context=context, use_ssl=True) if context else None
        username, password = self._credentials()
        kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
        return kind[self.kafka_sasl_mechanism](username, password, ssl_context=context, use_ssl=context is not None)


def load_settings(cls: type[S]) -> S:
    """`cls()` from the environment; a bad value ends the process with one line per problem and no traceback.

    Messages name the variable and the rule, never the value (it may be a secret).
    """
    try:
        return cls()
    except ValidationError as exc:
        lines = [f"  - {'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
                 for error in exc.errors()]
        raise SystemExit("invalid configuration:\n" + "\n".join(lines)) from None
