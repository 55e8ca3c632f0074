"""Configuration of the bookings service, read from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from authkit import AuthSettings
from spine.settings import InfraSettings


class Settings(InfraSettings, AuthSettings):
    """Where the bookings service stores its data, where it listens, and whose tokens it trusts."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database: str = Field(default="bookings", validation_alias=AliasChoices("BOOKINGS_DATABASE", "database"),
                          description="The service's own PostgreSQL database.")
    port: int = Field(default=8103, validation_alias=AliasChoices("BOOKINGS_PORT", "port"),
                      description="HTTP port of the api process.")
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    deadline_check_seconds: float = Field(
        default=2.0, validation_alias=AliasChoices("BOOKINGS_DEADLINE_CHECK_SECONDS", "deadline_check_seconds"),
        description="How often the worker looks for lapsed holds, stuck waitlists and cancelled events.")
    stuck_after_seconds: float = Field(
        default=120.0, validation_alias=AliasChoices("BOOKINGS_STUCK_AFTER_SECONDS", "stuck_after_seconds"),
        description="A booking pending this long without an answer from the events service is asked again.")
    booking_rate_per_minute: float = Field(
        default=30.0, gt=0, validation_alias=AliasChoices("BOOKINGS_RATE_PER_MINUTE", "booking_rate_per_minute"),
        description="Booking requests one user may make per minute, sustained (beyond the burst): 429 after.")
    booking_rate_burst: int = Field(
        default=20, ge=1, validation_alias=AliasChoices("BOOKINGS_RATE_BURST", "booking_rate_burst"),
        description="Booking requests one user may make at once before the per-minute rate applies.")
    seat_leases: bool = Field(
        default=True, validation_alias=AliasChoices("BOOKINGS_SEAT_LEASES", "seat_leases"),
        description="Free bookings are confirmed at once from seats the event leased to this service (issue 8; "
                    "the default since it measured p50 9-12 ms vs 79 ms); off: every booking asks the Event.")
    lease_idle_seconds: float = Field(
        default=30.0, gt=0, validation_alias=AliasChoices("BOOKINGS_LEASE_IDLE_SECONDS", "lease_idle_seconds"),
        description="Leased seats nobody took for this long go back to the event (and an unanswered lease "
                    "request is asked again after it).")
