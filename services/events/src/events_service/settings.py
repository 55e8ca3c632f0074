"""Configuration of the events service, read from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from authkit import AuthSettings
from spine.settings import InfraSettings


class Settings(InfraSettings, AuthSettings):
    """Where the events service stores its data, where it listens, and whose tokens it trusts."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database: str = Field(default="events", validation_alias=AliasChoices("EVENTS_DATABASE", "database"),
                          description="The service's own PostgreSQL database.")
    port: int = Field(default=8102, validation_alias=AliasChoices("EVENTS_PORT", "port"),
                      description="HTTP port of the api process.")
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))

