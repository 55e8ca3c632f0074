"""The gateway's own refusals: rate limits per client address, oversized bodies, methods nginx rejects itself.
Each is an `application/problem+json` answer (not nginx's HTML page); 429s say when to come back."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

pytestmark = pytest.mark.integration

# Tight budgets so a handful of requests crosses them: 2 password requests, then 1 a minute; 20 requests of
# any kind, then 1 a minute.
TIGHT = {"GATEWAY_AUTH_RATE": "1r/m", "GATEWAY_AUTH_BURST": "1", "GATEWAY_IP_RATE": "1r/m",
         "GATEWAY_IP_BURST": "19"}
LOGIN = {"email": "someone@example.com", "password": "secret-password"}


@pytest.fixture(scope="module")
def tight(tmp_path_factory, start_gateway) -> Iterator[Callable[[str], httpx.Client]]:
    """Clients of a gateway with tight limits, each from its own loopback address (its own budget)."""
    clients: list[httpx.Client] = []
    with start_gateway(tmp_path_factory.mktemp("gw-tight"), **TIGHT) as (port, _):
        def client_from(address: str) -> httpx.Client:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5,
                                  transport=httpx.HTTPTransport(local_address=address))
            clients.append(client)
            return client
        yield client_from
        for client in clients:
            client.close()


def assert_problem(response: httpx.Response, status: int, title: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] == title
    assert problem["correlation_id"] == response.headers["X-Correlation-ID"]
    return problem


def test_password_endpoints_are_limited_per_address_with_a_429_problem(tight):
    client = tight("127.0.0.2")
    for path in ("/api/v1/users/login", "/api/v1/users/token"):  # the burst (1) plus the rate's first token
        assert client.post(path, json=LOGIN).status_code == 200, path
    refused = client.post("/api/v1/users/refresh", json={"refresh_token": "x"})
    assert_problem(refused, 429, "Too Many Requests")
    assert refused.headers["Retry-After"] == "60"  # one request a minute
    assert_problem(client.post("/api/v1/users/", json=LOGIN), 429, "Too Many Requests")  # register too

    # Reads in the same service are not password requests: only the overall budget applies to them.
    assert client.get("/api/v1/users/me").status_code == 200
    assert client.get("/api/v1/users/").status_code == 200
    # Another address has its own budget.
    assert tight("127.0.0.3").post("/api/v1/users/login", json=LOGIN).status_code == 200


def test_every_address_has_an_overall_budget(tight):
    client = tight("127.0.0.4")
    statuses = [client.get("/api/v1/events/").status_code for _ in range(25)]
    assert statuses[:20] == [200] * 20  # the burst (19) plus the rate's first token
    assert set(statuses[20:]) == {429}
    refused = client.get("/api/v1/events/")
    assert_problem(refused, 429, "Too Many Requests")
    assert refused.headers["Retry-After"] == "60"
    assert tight("127.0.0.5").get("/api/v1/events/").status_code == 200


def test_a_body_over_the_limit_gets_a_413_problem(gateway):
    response = gateway.post("/api/v1/events/", content=b"x" * (1024 * 1024 + 1),
                            headers={"Content-Type": "application/json"})
    assert_problem(response, 413, "Content Too Large")


def test_trace_gets_a_405_problem(gateway):
    for path in ("/api/v1/users/me", "/"):
        assert_problem(gateway.request("TRACE", path), 405, "Method Not Allowed")
