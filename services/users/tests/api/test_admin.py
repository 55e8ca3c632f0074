"""Administration: the user list, roles, disabling, settings and the JWKS, with their 401/403/404/409/422 answers."""

from __future__ import annotations

from uuid import uuid4

import pytest

pytestmark = pytest.mark.api


def test_the_user_list_needs_users_read_all(client, signup, problem):
    assert problem(client.get("/api/v1/users/"), 401)
    body = problem(client.get("/api/v1/users/", headers=signup().headers), 403)
    assert body["required_permission"] == "users:read_all"


def test_the_user_list_pages_with_total_count_and_links_and_filters(client, admin, signup, project):
    tag = uuid4().hex[:8]
    people = [signup(email=f"guest{i}.{tag}@example.com", full_name=f"Guest {i}") for i in range(5)]
    olga = signup(email=f"olga.{tag}@example.com", full_name="Olga Organizer")
    client.put(f"/api/v1/users/{olga.id}/role", json={"role": "organizer"}, headers=admin.headers)
    client.post(f"/api/v1/users/{people[4].id}/disable", headers=admin.headers)
    project()

    r = client.get("/api/v1/users/", params={"q": tag, "limit": 2, "offset": 2}, headers=admin.headers)
    assert r.status_code == 200
    assert r.headers["x-total-count"] == "6"
    assert [u["email"] for u in r.json()] == [people[2].email, people[3].email]
    links = r.headers["link"]
    for rel, offset in (("first", 0), ("prev", 0), ("next", 4), ("last", 4)):
        assert f'offset={offset}>; rel="{rel}"' in links
    assert f"q={tag}" in links

    last = client.get("/api/v1/users/", params={"q": tag, "limit": 2, "offset": 4}, headers=admin.headers).json()
    assert [(u["email"], u["disabled"]) for u in last] == [(people[4].email, True), (olga.email, False)]
    organizers = client.get("/api/v1/users/", params={"role": "organizer", "q": tag}, headers=admin.headers)
    assert [u["email"] for u in organizers.json()] == [olga.email]
    assert organizers.headers["x-total-count"] == "1"
    assert "password" not in r.text
    everyone = client.get("/api/v1/users/", params={"limit": 100}, headers=admin.headers)
    assert admin.email in [u["email"] for u in everyone.json()]


def test_bad_paging_parameters_are_422_problems(client, admin, problem):
    problem(client.get("/api/v1/users/", params={"limit": 0}, headers=admin.headers), 422)
    problem(client.get("/api/v1/users/", params={"offset": -1}, headers=admin.headers), 422)


def test_a_role_change_shows_in_the_next_token(client, admin, signup):
    olga = signup()
    r = client.put(f"/api/v1/users/{olga.id}/role", json={"role": "organizer"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["role"] == "organizer"
    pair = client.post("/api/v1/users/refresh", json={"refresh_token": olga.refresh_token}).json()
    from authkit import TokenVerifier
    principal = TokenVerifier(jwks=client.get("/.well-known/jwks.json").json()).verify(pair["access_token"])
    assert principal.role == "organizer" and principal.can("events:create")


def test_role_changes_are_refused_for_strangers_unknown_roles_unknown_users_and_disabled_users(
        client, admin, signup, problem):
    olga = signup()
    problem(client.put(f"/api/v1/users/{olga.id}/role", json={"role": "admin"}, headers=olga.headers), 403)
    problem(client.put(f"/api/v1/users/{olga.id}/role", json={"role": "emperor"}, headers=admin.headers), 422)
    problem(client.put(f"/api/v1/users/{uuid4()}/role", json={"role": "organizer"}, headers=admin.headers), 404)
    problem(client.put(f"/api/v1/users/{olga.id}/role", json={}, headers=admin.headers), 422)
    client.post(f"/api/v1/users/{olga.id}/disable", headers=admin.headers)
    problem(client.put(f"/api/v1/users/{olga.id}/role", json={"role": "organizer"}, headers=admin.headers), 409)


def test_disable_needs_users_manage_and_an_existing_user(client, admin, signup, problem):
    ada = signup()
    problem(client.post(f"/api/v1/users/{ada.id}/disable", headers=ada.headers), 403)
    problem(client.post(f"/api/v1/users/{uuid4()}/disable", headers=admin.headers), 404)
    # Ids in paths are typed, so a path with something else in its place names no resource at all.
    problem(client.post("/api/v1/users/not-a-uuid/disable", headers=admin.headers), 404)


def test_roles_are_listed_for_anyone_logged_in_and_defined_by_role_managers(client, admin, signup, problem,
                                                                          project):
    ada = signup()
    project()  # the role list is a read model
    problem(client.get("/api/v1/roles"), 401)
    roles = {r["name"]: r["permissions"] for r in client.get("/api/v1/roles", headers=ada.headers).json()}
    assert roles["participant"] == [] and "events:create" in roles["organizer"]

    new = {"name": "moderator", "permissions": ["reviews:moderate"]}
    problem(client.post("/api/v1/roles", json=new, headers=ada.headers), 403)
    created = client.post("/api/v1/roles", json=new, headers=admin.headers)
    assert created.status_code == 201 and created.json() == new
    replaced = client.post("/api/v1/roles", json={**new, "permissions": ["support:reply"]}, headers=admin.headers)
    assert replaced.status_code == 200 and replaced.json()["permissions"] == ["support:reply"]
    assert client.put(f"/api/v1/users/{ada.id}/role", json={"role": "moderator"},
                      headers=admin.headers).json()["role"] == "moderator"

    problem(client.post("/api/v1/roles", json={"name": "x y", "permissions": []}, headers=admin.headers), 422)
    body = problem(client.post("/api/v1/roles", json={"name": "hacker", "permissions": ["root:all"]},
                               headers=admin.headers), 422)
    assert "root:all" in body["detail"]


def test_settings_are_typed_validated_and_need_settings_manage(client, admin, signup, problem):
    url = "/api/v1/settings/booking_hold_minutes"
    problem(client.put(url, json={"value": 15, "type": "number"}, headers=signup().headers), 403)
    problem(client.put(url, json={"value": 15, "type": "number"}), 401)

    r = client.put(url, json={"value": "20", "type": "number"}, headers=admin.headers)
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("key", "value", "type", "default")} == {
        "key": "booking_hold_minutes", "value": 20, "type": "number", "default": 15}
    assert client.get(url, headers=admin.headers).json()["value"] == 20

    problem(client.put(url, json={"value": "soon", "type": "number"}, headers=admin.headers), 422)
    problem(client.put(url, json={"value": 0, "type": "number"}, headers=admin.headers), 422)
    problem(client.put(url, json={"value": 5, "type": "date"}, headers=admin.headers), 422)
    assert client.get(url, headers=admin.headers).json()["value"] == 20  # bad input changed nothing


def test_the_jwks_publishes_the_public_signing_key_only(client):
    r = client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    [key] = r.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA" and key["kid"]
    assert "d" not in key


def test_docs_and_health_are_served(client):
    assert client.get("/health/users").json() == {"status": "ok"}
    spec = client.get("/docs/users/openapi.json").json()
    assert spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == \
        "/api/v1/users/token"


def test_unknown_paths_are_404_problems(client, problem):
    problem(client.get("/api/v1/users/nope/extra"), 404)


def test_known_settings_refuse_values_outside_their_bounds(client, admin, problem):
    url = "/api/v1/settings/booking_hold_minutes"
    for value in (10_000_000_000, 10**30, "1e300"):
        body = problem(client.put(url, json={"value": value, "type": "number"}, headers=admin.headers), 422)
        assert body["type"] == "/docs/problems#invalid-setting"
    body = problem(client.put("/api/v1/settings/refund_fee_percent", json={"value": 150, "type": "number"},
                              headers=admin.headers), 422)
    assert "between 0 and 100" in body["detail"]
    ok = client.put("/api/v1/settings/cancellation_deadline_hours", json={"value": 48, "type": "number"},
                    headers=admin.headers)
    assert ok.status_code == 200 and ok.json()["value"] == 48
