"""The gateway as a client sees it: routes by path, tags every request with a correlation id, and answers
with a problem document when a service is down. Real nginx (deploy/gateway.sh) in front of a stand-in
(tests/gateway/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def test_api_paths_reach_the_owning_service_unchanged(gateway):
    for path in ("/api/v1/users/", "/api/v1/users/login", "/api/v1/roles", "/api/v1/settings/booking_hold_minutes",
                 "/api/v1/audit?actor_id=1&limit=5", "/.well-known/jwks.json", "/api/v1/events/?tag=python",
                 "/api/v1/reviews/1/approve", "/health/users", "/docs/users/openapi.json"):
        r = gateway.get(path)
        assert r.status_code == 200, path
        assert r.json()["path"] == path


def test_post_bodies_and_forwarding_headers_are_passed(gateway):
    r = gateway.post("/api/v1/events/", json={"title": "Meetup"}, headers={"Idempotency-Key": "k1"})
    seen = r.json()
    assert seen["method"] == "POST" and json.loads(seen["body"]) == {"title": "Meetup"}
    assert seen["headers"]["idempotency-key"] == "k1"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "http"


def test_correlation_id_is_kept_when_given_and_made_when_missing(gateway):
    given = gateway.get("/api/v1/users/me", headers={"X-Correlation-ID": "req-42"})
    assert given.json()["headers"]["x-correlation-id"] == "req-42"
    assert given.headers.get_list("X-Correlation-ID") == ["req-42"]  # exactly one, not the service's too

    made = gateway.get("/api/v1/users/me")
    cid = made.headers["X-Correlation-ID"]
    assert len(cid) == 32 and made.json()["headers"]["x-correlation-id"] == cid


def test_a_correlation_id_that_is_not_an_id_is_replaced(gateway):
    r = gateway.get("/api/v1/users/me", headers={"X-Correlation-ID": 'x","admin":true'})
    assert r.headers["X-Correlation-ID"] != 'x","admin":true'
    assert r.json()["headers"]["x-correlation-id"] == r.headers["X-Correlation-ID"]


def test_a_service_that_is_down_answers_with_a_problem(gateway):
    r = gateway.post("/api/v1/bookings/", json={"event_id": "e1", "group_size": 1},
                     headers={"X-Correlation-ID": "cid-7"})
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["Retry-After"] == "5"
    problem = r.json()
    assert problem["title"] == "Service unavailable" and problem["status"] == 503
    assert problem["service"] == "bookings" and problem["correlation_id"] == "cid-7"
    for path in ("/api/v1/payments/balance", "/api/v1/support/threads", "/health/notifications"):
        assert gateway.get(path).status_code == 503, path


def test_a_services_own_errors_pass_through(gateway):
    r = gateway.get("/api/v1/users/status/503")
    assert r.status_code == 503
    assert r.json()["path"] == "/api/v1/users/status/503"  # the service's body, not the gateway's problem


def test_unknown_paths_get_a_404_problem(gateway):
    for path in ("/api/v1/nothing", "/api/v1/usersx", "/admin"):
        r = gateway.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["title"] == "Not Found"


def test_docs_index_links_every_service(gateway):
    for path in ("/docs", "/docs/"):
        r = gateway.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        for service in ("users", "events", "bookings", "payments", "notifications"):
            assert f'href="/docs/{service}/"' in r.text
    assert gateway.get("/").headers["location"] == "/docs/"
    moved = gateway.get("/docs/events")
    assert moved.status_code == 301 and moved.headers["location"] == "/docs/events/"


def test_the_problems_page_is_served_with_an_anchor_per_type(gateway):
    for path in ("/docs/problems", "/docs/problems/"):
        r = gateway.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'id="validation-failed"' in r.text and 'id="concurrent-change"' in r.text
    assert 'href="/docs/problems"' in gateway.get("/docs/").text


def test_config_renders_and_validates_for_docker_compose(tmp_path):
    """The same template with compose's upstream names passes `nginx -t`."""
    if NGINX is None:
        pytest.skip("nginx is not installed")
    env = {**os.environ, "EP_DATA": str(tmp_path), "GATEWAY_LISTEN": "8000", "GATEWAY_RESOLVER": "127.0.0.11",
           "GATEWAY_ACCESS_LOG": "/dev/stdout", "USERS_UPSTREAM": "users-api:8101",
           "EVENTS_UPSTREAM": "events-api:8102", "BOOKINGS_UPSTREAM": "bookings-api:8103",
           "PAYMENTS_UPSTREAM": "payments-api:8104", "NOTIFICATIONS_UPSTREAM": "notifications-api:8105"}
    result = subprocess.run(["bash", str(ROOT / "deploy/gateway.sh"), "check"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = (tmp_path / "gateway/gateway.conf").read_text()
    assert "users-api:8101" in rendered and "${" not in rendered
