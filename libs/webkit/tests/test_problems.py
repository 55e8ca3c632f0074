"""Every error a client can meet comes back as RFC 9457 problem+json, and crashes leak nothing."""

import pytest

pytestmark = pytest.mark.api

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, title: str, type_: str = "about:blank") -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] == title
    assert body["type"] == type_
    return body


def test_missing_token_is_401_with_bearer_challenge(client):
    response = client.get("/api/v1/events/3")
    body = assert_problem(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["detail"] == "Missing bearer token"
    assert body["instance"] == "/api/v1/events/3"


def test_wrong_user_is_403_with_extension_members(client):
    response = client.get("/api/v1/events/3", headers={"Authorization": "Bearer participant"})
    body = assert_problem(response, 403, "Forbidden")
    assert body["permission"] == "events:read"


def test_unknown_event_is_404_from_the_route(client):
    response = client.get("/api/v1/events/999", headers={"Authorization": "Bearer organiser"})
    assert assert_problem(response, 404, "Not Found")["detail"] == "Event 999 does not exist"


def test_unknown_path_is_404_from_routing(client):
    body = assert_problem(client.get("/api/v1/venues"), 404, "Not Found")
    assert body["instance"] == "/api/v1/venues"
    assert "detail" not in body  # no echo of the bare reason phrase


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/events")
    assert_problem(response, 405, "Method Not Allowed")
    assert "GET" in response.headers["allow"]  # routing names the methods the path accepts


def test_domain_error_is_mapped_to_its_status(client):
    body = assert_problem(client.post("/api/v1/events/7/book"), 409, "Seats unavailable",
                          "/docs/problems#seats-unavailable")
    assert body["detail"] == "Event 7 has no free seats"


def test_a_domain_error_may_add_extension_members(client):
    body = assert_problem(client.post("/api/v1/events/7/book", params={"seats_left": 1}), 409, "Seats unavailable",
                          "/docs/problems#seats-unavailable")
    assert body["seats_left"] == 1 and body["detail"] == "Event 7 has no free seats"


def test_invalid_body_is_422_listing_each_field(client):
    response = client.post("/api/v1/events", json={"title": "", "capacity": "lots"})
    body = assert_problem(response, 422, "Request validation failed", "/docs/problems#validation-failed")
    by_field = {tuple(e["loc"]): e for e in body["errors"]}
    assert set(by_field) == {("body", "title"), ("body", "capacity")}
    assert by_field[("body", "capacity")]["type"] == "int_parsing"
    assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])


def test_malformed_json_is_422_not_500(client):
    response = client.post("/api/v1/events", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "Request validation failed", "/docs/problems#validation-failed")


def test_crash_is_500_without_internals_but_with_correlation_id(client):
    response = client.post("/api/v1/events/1/flaky")
    body = assert_problem(response, 500, "Internal Server Error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["correlation_id"] == response.headers["x-correlation-id"]


def test_health_and_docs_are_served_under_the_service_name(client):
    assert client.get("/health/planning").json() == {"status": "ok"}
    assert "swagger-ui" in client.get("/docs/planning/").text
    spec = client.get("/docs/planning/openapi.json").json()
    assert spec["info"] == {"title": "Planning", "version": "1.0"}
    assert "/api/v1/events" in spec["paths"]
    assert client.get("/docs").status_code == 404


def test_docs_show_problem_responses_where_declared(client):
    spec = client.get("/docs/planning/openapi.json").json()
    responses = spec["paths"]["/api/v1/events/{event_id}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(responses)
    ref = responses["404"]["content"]["application/problem+json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"type", "title", "status", "detail"} <= set(schema["properties"])
