"""Passwords after registration: changing your own, strength checks, admin-forced resets."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from users_service.main import create_app

pytestmark = pytest.mark.api

NEW = "difference engine no. 2"


def login(client, email: str, password: str):
    return client.post("/api/v1/users/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_registering_with_a_common_password_is_a_422_saying_why(client, problem):
    for weak in ("password1", "qwertyuiop", "iloveyou123"):
        body = problem(client.post("/api/v1/users/", json={"email": "weak@example.com", "full_name": "Weak",
                                                            "password": weak}), 422)
        assert "too weak" in body["detail"] and "common" in body["detail"].lower()
    assert login(client, "weak@example.com", "password1").status_code == 401  # nothing was created


def test_changing_your_password_ends_every_other_session_and_token(client, signup, problem):
    ada = signup()
    laptop = login(client, ada.email, ada.password).json()  # a second session of the same user
    url = "/api/v1/users/me/password"

    problem(client.post(url, json={"current_password": ada.password, "new_password": NEW}), 401)
    body = problem(client.post(url, json={"current_password": "not-it", "new_password": NEW}, headers=ada.headers),
                   403)
    assert body["detail"] == "the current password is wrong"
    body = problem(client.post(url, json={"current_password": ada.password, "new_password": "password123"},
                               headers=ada.headers), 422)
    assert "too weak" in body["detail"]
    problem(client.post(url, json={"current_password": ada.password, "new_password": ada.password},
                        headers=ada.headers), 422)
    assert client.get("/api/v1/users/me", headers=ada.headers).status_code == 200  # refusals changed nothing

    r = client.post(url, json={"current_password": ada.password, "new_password": NEW}, headers=ada.headers)
    assert r.status_code == 200, r.text
    fresh = r.json()

    assert client.get("/api/v1/users/me", headers=bearer(fresh["access_token"])).status_code == 200
    for old_access in (ada.access_token, laptop["access_token"]):
        problem(client.get("/api/v1/users/me", headers=bearer(old_access)), 401)
    for old_refresh in (ada.refresh_token, laptop["refresh_token"]):
        problem(client.post("/api/v1/users/refresh", json={"refresh_token": old_refresh}), 401)
    assert client.post("/api/v1/users/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 200
    assert login(client, ada.email, ada.password).status_code == 401
    assert login(client, ada.email, NEW).status_code == 200


def test_the_first_admin_can_replace_the_start_up_password(client, admin):
    r = client.post("/api/v1/users/me/password", json={"current_password": admin.password, "new_password": NEW},
                    headers=admin.headers)
    assert r.status_code == 200, r.text
    assert login(client, admin.email, NEW).status_code == 200
    assert login(client, admin.email, admin.password).status_code == 401
    # Restore it, so the module's other tests still log in as the admin.
    restore = client.post("/api/v1/users/me/password", json={"current_password": NEW,
                                                             "new_password": admin.password},
                          headers=bearer(r.json()["access_token"]))
    assert restore.status_code == 200, restore.text
    admin.access_token = restore.json()["access_token"]
    admin.refresh_token = restore.json()["refresh_token"]


def test_a_forced_reset_voids_the_password_and_sessions_until_the_one_time_token_is_used(
        client, admin, signup, problem):
    bob = signup()
    problem(client.post(f"/api/v1/users/{bob.id}/password-reset", headers=bob.headers), 403)
    r = client.post(f"/api/v1/users/{bob.id}/password-reset", headers=admin.headers)
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["delivery"] == "response" and issued["reset_token"]  # development shows it to the admin

    assert login(client, bob.email, bob.password).status_code == 401
    problem(client.get("/api/v1/users/me", headers=bob.headers), 401)
    problem(client.post("/api/v1/users/refresh", json={"refresh_token": bob.refresh_token}), 401)

    url = "/api/v1/users/password-reset"
    problem(client.post(url, json={"token": "garbage", "new_password": NEW}), 401)
    problem(client.post(url, json={"token": issued["reset_token"][:-4] + "AAAA", "new_password": NEW}), 401)
    problem(client.post(url, json={"token": issued["reset_token"], "new_password": "letmein123"}), 422)
    assert client.post(url, json={"token": issued["reset_token"], "new_password": NEW}).status_code == 204
    problem(client.post(url, json={"token": issued["reset_token"], "new_password": NEW + "!"}), 401)  # one time

    assert login(client, bob.email, NEW).status_code == 200
    assert login(client, bob.email, bob.password).status_code == 401


def test_a_second_forced_reset_replaces_the_first_token(client, admin, signup, problem):
    eve = signup()
    first = client.post(f"/api/v1/users/{eve.id}/password-reset", headers=admin.headers).json()["reset_token"]
    second = client.post(f"/api/v1/users/{eve.id}/password-reset", headers=admin.headers).json()["reset_token"]
    problem(client.post("/api/v1/users/password-reset", json={"token": first, "new_password": NEW}), 401)
    assert client.post("/api/v1/users/password-reset", json={"token": second, "new_password": NEW}).status_code == 204


def test_in_production_the_reset_token_is_never_shown_to_the_admin(service, admin, signup):
    prod = service.settings.model_copy(update={
        "environment": "production", "secret_key": service.settings.secret_key.__class__("x" * 40),
        "admin_password": service.settings.admin_password.__class__("a sturdy admin passphrase 42")})
    with TestClient(create_app(container=dataclasses.replace(service, settings=prod))) as prod_client:
        bob = signup()
        r = prod_client.post(f"/api/v1/users/{bob.id}/password-reset", headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["delivery"] == "pending" and r.json()["reset_token"] is None
