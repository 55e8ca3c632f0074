"""API_VERSION names the version in the service's OpenAPI document (every service reads it, as the seed's
configuration had it; it was once read by the users service only, then by none)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from payments_service.main import create_app
from payments_service.settings import Settings

pytestmark = pytest.mark.integration


def test_the_openapi_document_shows_the_configured_version(settings, issuer):
    configured = Settings(database=settings.database, api_version="2.5.0")
    with TestClient(create_app(configured, verifier=issuer.verifier())) as client:
        assert client.get("/docs/payments/openapi.json").json()["info"]["version"] == "2.5.0"


def test_api_version_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("API_VERSION", "3.0.1")
    assert Settings().api_version == "3.0.1"
