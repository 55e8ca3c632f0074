"""Where the infrastructure is: read from the environment (deploy/env.sh sets these locally)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


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

    def conninfo(self, dbname: str) -> str:
        """libpq connection string for one service's database."""
        return (f"host={self.postgres_host} port={self.postgres_port} dbname={dbname} "
                f"user={self.postgres_user} password={self.postgres_password}")
