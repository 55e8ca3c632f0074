"""Where a service finds the users service's public keys, and what tokens it accepts."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ISSUER = "event-planner"
AUDIENCE = "event-planner"


def _default_jwks_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('USERS_PORT', '8101')}/.well-known/jwks.json"


class AuthSettings(BaseSettings):
    """Token verification settings (env AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE)."""

    model_config = SettingsConfigDict(extra="ignore")

    # USERS_PORT is read at construction time so tests and deploy scripts can move the users service.
    auth_jwks_url: str = Field(default_factory=_default_jwks_url)
    auth_issuer: str = ISSUER
    auth_audience: str = AUDIENCE

