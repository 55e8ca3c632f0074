"""Configuration of the payments service, read from the environment."""

from __future__ import annotations

from decimal import Decimal
from ipaddress import ip_network
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from authkit import AuthSettings
from spine.settings import InfraSettings

from payments_service.providers.yookassa_provider import DEFAULT_NETWORKS

DEFAULT_SANDBOX_SECRET = "sandbox-local-secret"


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class Settings(InfraSettings, AuthSettings):
    """Where payments stores its data, which providers it enables, and whose tokens it trusts.

    Stripe is enabled when both its keys are set, YooKassa when its shop id and secret are. The sandbox is
    on in development and off in production (PAYMENTS_SANDBOX_ENABLED overrides it in development; in
    production it refuses to start with it). Cash and balance are always available.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database: str = Field(default="payments", validation_alias=_env("PAYMENTS_DATABASE", "database"),
                          description="The service's own PostgreSQL database.")
    port: int = Field(default=8104, validation_alias=_env("PAYMENTS_PORT", "port"),
                      description="HTTP port of the api process.")
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL", "log_level"))

    card_provider: str = Field(default="sandbox", validation_alias=_env("PAYMENTS_CARD_PROVIDER", "card_provider"),
                               description="Provider that handles the `card` method: sandbox, stripe or yookassa.")
    sandbox_enabled: bool | None = Field(
        default=None, validation_alias=_env("PAYMENTS_SANDBOX_ENABLED", "sandbox_enabled"),
        description="Enable the sandbox provider and POST /payments/{id}/sandbox (default: only in development).")
    sandbox_webhook_secret: str = Field(default=DEFAULT_SANDBOX_SECRET,
                                        validation_alias=_env("PAYMENTS_SANDBOX_SECRET", "sandbox_webhook_secret"),
                                        description="HMAC secret of sandbox webhooks.")
    webhook_tolerance_seconds: int = Field(default=300, validation_alias=_env("PAYMENTS_WEBHOOK_TOLERANCE",
                                                                              "webhook_tolerance_seconds"))

    stripe_api_key: str | None = Field(default=None, validation_alias=_env("STRIPE_API_KEY", "stripe_api_key"))
    stripe_webhook_secret: str | None = Field(default=None, validation_alias=_env("STRIPE_WEBHOOK_SECRET",
                                                                                  "stripe_webhook_secret"))
    yookassa_account_id: str | None = Field(default=None, validation_alias=_env("YOOKASSA_ACCOUNT_ID",
                                                                                "yookassa_account_id"))
    yookassa_secret_key: str | None = Field(default=None, validation_alias=_env("YOOKASSA_SECRET_KEY",
                                                                                "yookassa_secret_key"))
    yookassa_return_url: str = Field(default="http://127.0.0.1:8000/",
                                     validation_alias=_env("YOOKASSA_RETURN_URL", "yookassa_return_url"),
                                     description="Where YooKassa sends the payer back after paying.")
    yookassa_trusted_networks: list[str] = Field(
        default=list(DEFAULT_NETWORKS), validation_alias=_env("YOOKASSA_TRUSTED_NETWORKS", "yookassa_trusted_networks"),
        description="Source networks YooKassa notifications must come from (it does not sign them).")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=["127.0.0.1", "::1"],
        validation_alias=AliasChoices("TRUSTED_PROXIES", "PAYMENTS_TRUSTED_PROXIES", "trusted_proxies"),
        description="Proxies (the gateway) whose X-Real-IP names the real client: addresses or networks, "
                    "comma-separated (docker-compose: the compose network, e.g. 172.16.0.0/12).")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """Accept "a,b/24" as well as a list; every entry must be an address or a network."""
        items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
        if isinstance(items, list):
            items = [str(v).strip() for v in items if str(v).strip()]
            for item in items:
                ip_network(item, strict=False)  # ValueError → a clear settings error at start-up
        return items

    cash_top_up_max: dict[str, Decimal] = Field(
        default={"*": Decimal("1000")}, validation_alias=_env("PAYMENTS_CASH_TOP_UP_MAX", "cash_top_up_max"),
        description='Largest cash top-up per currency, as JSON, e.g. {"RUB": 100000, "*": 1000}; "*" is any '
                    "other currency. Cash is counted by hand: a typo must not become a fortune in a wallet.")

    reconcile_after_minutes: float = Field(default=10, validation_alias=_env("PAYMENTS_RECONCILE_AFTER_MINUTES",
                                                                             "reconcile_after_minutes"))
    reconcile_interval_seconds: float = Field(default=60, validation_alias=_env("PAYMENTS_RECONCILE_INTERVAL",
                                                                                "reconcile_interval_seconds"))

    @property
    def sandbox_on(self) -> bool:
        """Whether the sandbox provider and its completion route exist in this process."""
        return self.sandbox_enabled if self.sandbox_enabled is not None else not self.production

    def unsafe_for_production(self) -> list[str]:
        """The sandbox lets any user mark their own payment paid: production refuses to start with it."""
        reasons = super().unsafe_for_production()
        if self.sandbox_on:
            reasons.append("PAYMENTS_SANDBOX_ENABLED=true: the sandbox lets any user mark their own payment paid; "
                           "remove it")
            if self.sandbox_webhook_secret == DEFAULT_SANDBOX_SECRET:
                reasons.append("PAYMENTS_SANDBOX_SECRET is the default: anyone can sign sandbox webhooks")
        if self.card_provider == "sandbox" and "card_provider" in self.model_fields_set:
            reasons.append("PAYMENTS_CARD_PROVIDER=sandbox: card payments must go to stripe or yookassa")
        return reasons
