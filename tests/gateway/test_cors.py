"""CORS at the gateway, the one place that handles it: a browser client on an allowed origin can call every
service and read the headers it needs (positions, pages, waits) — also on the gateway's own refusals — while
other origins get nothing. Real nginx (deploy/gateway.sh) in front of the stand-in service."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.integration

APP = "https://app.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}
EXPOSED = ("X-Event-Position", "Link", "X-Total-Count", "Retry-After", "X-View-Stale", "X-Correlation-ID", "Location")


@pytest.fixture(scope="module")
def configured(tmp_path_factory, start_gateway) -> Iterator[httpx.Client]:
    """A gateway allowing one exact origin and any port of a dev host; nearly no rate budget for passwords."""
    origins = f"{APP}, http://dev.example.test:*"
    with start_gateway(tmp_path_factory.mktemp("gw-cors"), CORS_ALLOWED_ORIGINS=origins,
                       GATEWAY_AUTH_RATE="1r/m", GATEWAY_AUTH_BURST="1") as (port, _), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        yield client


def allowed(response: httpx.Response, origin: str) -> bool:
    return response.headers.get("Access-Control-Allow-Origin") == origin


def test_a_preflight_from_an_allowed_origin_is_answered_by_the_gateway(configured):
    r = configured.options("/api/v1/bookings/", headers={"Origin": APP, **PREFLIGHT})
    # bookings is down in this setup: the gateway answers without asking it, so a client then gets the real
    # request's 503 problem rather than an opaque preflight failure.
    assert r.status_code == 204, r.text
    assert allowed(r, APP)
    methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    headers = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "x-event-position"} <= headers
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in r.headers  # bearer tokens, no cookies


def test_responses_to_an_allowed_origin_expose_the_headers_clients_need(configured):
    r = configured.get("/api/v1/events/", headers={"Origin": APP})
    assert r.status_code == 200 and r.json()["path"] == "/api/v1/events/"
    assert allowed(r, APP)
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert set(EXPOSED) <= exposed
    assert "Origin" in r.headers.get("Vary", "")


def test_any_port_of_a_host_listed_with_a_star(configured):
    for origin in ("http://dev.example.test", "http://dev.example.test:5173"):
        assert allowed(configured.get("/api/v1/users/me", headers={"Origin": origin}), origin)
    for origin in ("https://dev.example.test:5173", "http://dev.example.test.evil.example",
                   "http://evil.example/http://dev.example.test"):
        answer = configured.get("/api/v1/users/me", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_other_origins_get_no_cors_headers_and_their_preflight_reaches_the_service(configured):
    for origin in ("https://evil.example", "https://app.example.com.evil.example", "http://app.example.com",
                   f"{APP}|{APP}", "null"):
        r = configured.get("/api/v1/events/", headers={"Origin": origin})
        assert r.status_code == 200
        assert "Access-Control-Allow-Origin" not in r.headers, origin
        assert "Access-Control-Expose-Headers" not in r.headers, origin
    r = configured.options("/api/v1/events/", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert r.json()["method"] == "OPTIONS"  # the stand-in's echo: a plain OPTIONS, no CORS answer
    assert "Access-Control-Allow-Origin" not in r.headers


def test_a_plain_options_is_the_services_to_answer(configured):
    r = configured.options("/api/v1/events/", headers={"Origin": APP})  # no Access-Control-Request-Method
    assert r.json()["method"] == "OPTIONS" and r.json()["path"] == "/api/v1/events/"
    assert allowed(r, APP)


def test_the_gateways_own_refusals_are_readable_cross_origin(configured):
    down = configured.get("/api/v1/payments/balance", headers={"Origin": APP})
    assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
    assert allowed(down, APP) and "Retry-After" in down.headers["Access-Control-Expose-Headers"]

    for _ in range(3):  # the burst (1) and the rate's first token pass, then the address must wait
        limited = configured.post("/api/v1/users/login", json={"email": "a@example.com", "password": "x"},
                                  headers={"Origin": APP})
    assert limited.status_code == 429
    assert allowed(limited, APP) and "Retry-After" in limited.headers["Access-Control-Expose-Headers"]

    missing = configured.get("/api/v1/nothing", headers={"Origin": APP})
    assert missing.status_code == 404 and allowed(missing, APP)


@pytest.mark.parametrize(("environment", "expected"), [("development", True), ("production", False)])
def test_by_default_localhost_in_development_and_nobody_in_production(tmp_path, start_gateway, monkeypatch,
                                                                      environment, expected):
    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    with start_gateway(tmp_path, ENVIRONMENT=environment) as (port, _), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        for origin in ("http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"):
            assert allowed(client.get("/api/v1/events/", headers={"Origin": origin}), origin) is expected, origin
        r = client.get("/api/v1/events/", headers={"Origin": "https://app.example.com"})
        assert "Access-Control-Allow-Origin" not in r.headers
        if not expected:
            assert "Vary" not in r.headers  # no CORS at all: answers are as before


def test_any_origin_with_a_star(tmp_path, start_gateway):
    with start_gateway(tmp_path, CORS_ALLOWED_ORIGINS="*") as (port, _), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        origin = "https://anything.example"
        assert allowed(client.get("/api/v1/events/", headers={"Origin": origin}), origin)
        assert client.options("/api/v1/events/", headers={"Origin": origin, **PREFLIGHT}).status_code == 204
