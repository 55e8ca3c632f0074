"""Every request carries a correlation id: taken from the caller or made, bound while handling, echoed, logged."""

import json
import uuid

import pytest
from fastapi.testclient import TestClient

from webkit import configure_logging

pytestmark = pytest.mark.api


def test_generated_when_missing_and_echoed(client):
    first, second = client.get("/health/planning"), client.get("/health/planning")
    ids = [r.headers["x-correlation-id"] for r in (first, second)]
    assert all(uuid.UUID(i) for i in ids)
    assert ids[0] != ids[1]


def test_callers_id_is_echoed_and_bound_for_async_and_sync_routes(client):
    for path in ("/api/v1/events/1/cause", "/api/v1/events/1/cause-sync"):
        response = client.get(path, headers={"X-Correlation-ID": "checkout-42"})
        assert response.headers["x-correlation-id"] == "checkout-42"
        assert response.json() == {"correlation_id": "checkout-42"}


def test_generated_id_is_the_one_bound(client):
    response = client.get("/api/v1/events/1/cause")
    assert response.json()["correlation_id"] == response.headers["x-correlation-id"]


def test_unsafe_incoming_id_is_replaced(client):
    response = client.get("/health/planning", headers={"X-Correlation-ID": 'x" injected=1 ' + "a" * 200})
    assert uuid.UUID(response.headers["x-correlation-id"])


def test_error_responses_carry_the_id_too(client):
    response = client.get("/api/v1/nowhere", headers={"X-Correlation-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["x-correlation-id"] == "trace-404"


def test_one_json_log_line_per_request_with_the_id(state, capsys, make_app):
    configure_logging("planning", "INFO")
    try:
        with TestClient(make_app(state), raise_server_exceptions=False) as client:
            capsys.readouterr()
            client.get("/api/v1/events?limit=5", headers={"X-Correlation-ID": "trace-log-1"})
            client.post("/api/v1/events/1/flaky", headers={"X-Correlation-ID": "trace-log-2"})
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    finally:
        configure_logging("planning-test", "WARNING")
    requests = [line for line in lines if line["event"] == "request"]
    assert [(r["correlation_id"], r["method"], r["path"], r["status"]) for r in requests] == [
        ("trace-log-1", "GET", "/api/v1/events", 200),
        ("trace-log-2", "POST", "/api/v1/events/1/flaky", 500),
    ]
    assert all(r["service"] == "planning" and r["level"] == "info" and "timestamp" in r for r in requests)
    crash = next(line for line in lines if line["event"] == "unhandled_error")
    assert crash["correlation_id"] == "trace-log-2" and crash["level"] == "error"
    assert "hunter2" in json.dumps(crash["exception"])  # the details go to the log, not the client
