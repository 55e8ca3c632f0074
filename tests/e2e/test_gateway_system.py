"""What a client sees of the system as a whole at the gateway: docs of every service, and a clear 503
problem (not a hang or an HTML page) for a service that is not running."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("users", "events", "bookings", "payments", "notifications")
FIRST_PATH = {"bookings": "/api/v1/bookings/", "payments": "/api/v1/payments/",
              "notifications": "/api/v1/notifications/"}


def not_running() -> list[str]:
    """Services without an api process in the Procfile, alone or with its worker (so nothing serves them)."""
    procfile = f"\n{(ROOT / 'Procfile').read_text()}"
    return [s for s in FIRST_PATH if f"\n{s}-api:" not in procfile and f"\n{s}-service:" not in procfile]


def test_a_service_that_is_not_running_answers_503_problem(gateway):
    missing = not_running()
    if not missing:
        pytest.skip("every service runs in this build")
    for service in missing:
        r = gateway.get(FIRST_PATH[service])
        assert r.status_code == 503, service
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["title"] == "Service unavailable" and body["status"] == 503
        assert body["service"] == service


def test_docs_index_lists_every_service_and_running_ones_serve_swagger(gateway):
    index = gateway.get("/docs/")
    assert index.status_code == 200
    for service in SERVICES:
        assert f"/docs/{service}/" in index.text
    for service, path in (("users", "/api/v1/users/login"), ("events", "/api/v1/events/")):
        ui = gateway.get(f"/docs/{service}/")
        assert ui.status_code == 200 and "swagger" in ui.text.lower()
        spec = gateway.get(f"/docs/{service}/openapi.json")
        assert spec.status_code == 200
        assert path in spec.json()["paths"]


def test_jwks_is_published_at_the_well_known_path(gateway):
    r = gateway.get("/.well-known/jwks.json")
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert keys and all("kid" in k for k in keys)
