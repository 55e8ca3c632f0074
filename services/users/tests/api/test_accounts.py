"""Registering, logging in and reading one's own account."""

from __future__ import annotations

from uuid import uuid4

import pytest

from authkit import TokenVerifier

pytestmark = pytest.mark.api



@pytest.fixture
def ada() -> dict[str, str]:
    """A registration payload with an e-mail no other test uses (mixed case on purpose)."""
    return {"email": f"Ada.{uuid4().hex[:8]}@Example.com", "full_name": "Ada Lovelace", "password": "analytical-engine"}


def test_register_returns_the_account_without_the_password(client, ada):
    r = client.post("/api/v1/users/", json=ada)
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == ada["email"].lower() and body["full_name"] == "Ada Lovelace"
    assert body["role"] == "participant" and body["disabled"] is False
    assert "password" not in r.text and "hash" not in r.text
    assert r.headers["location"] == f"/api/v1/users/{body['id']}"


def test_the_same_email_in_another_case_is_a_409_problem(client, ada, problem):
    assert client.post("/api/v1/users/", json=ada).status_code == 201
    again = {**ada, "email": ada["email"].upper()}
    body = problem(client.post("/api/v1/users/", json=again), 409)
    assert ada["email"].lower() in body["detail"]


@pytest.mark.parametrize("field, value", [
    ("email", "not-an-email"), ("full_name", "   "), ("password", "short"), ("email", None),
])
def test_invalid_registrations_are_422_problems_naming_the_field(client, ada, problem, field, value):
    body = problem(client.post("/api/v1/users/", json={**ada, field: value}), 422)
    assert any(e["loc"][-1] == field for e in body["errors"])


def test_a_retried_registration_creates_no_second_account_and_replays_nothing(client, ada, problem):
    """Registration is anonymous, and anonymous callers have no Idempotency-Key space (a shared one would
    replay one stranger's answer to another): the retry runs again and finds the e-mail taken."""
    headers = {"Idempotency-Key": f"register-{uuid4()}"}
    first = client.post("/api/v1/users/", json=ada, headers=headers)
    second = client.post("/api/v1/users/", json=ada, headers=headers)
    assert first.status_code == 201
    problem(second, 409)
    assert "idempotent-replayed" not in second.headers


def test_login_returns_a_bearer_token_pair_whose_access_token_verifies_with_the_jwks(client, ada):
    client.post("/api/v1/users/", json=ada)
    r = client.post("/api/v1/users/login", json={"email": ada["email"].upper(), "password": ada["password"]})
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    principal = TokenVerifier(jwks=client.get("/.well-known/jwks.json").json()).verify(tokens["access_token"])
    assert principal.role == "participant" and principal.permissions == frozenset()
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == ada["email"].lower()
    assert str(principal.user_id) == me.json()["id"]


@pytest.mark.parametrize("known_email", [True, False])
def test_wrong_credentials_are_a_401_problem_that_does_not_say_which_part(client, ada, problem, known_email):
    client.post("/api/v1/users/", json=ada)
    email = ada["email"] if known_email else "nobody@example.com"
    body = problem(client.post("/api/v1/users/login", json={"email": email, "password": "wrong-password"}), 401)
    assert body["detail"] == "wrong e-mail or password"


def test_the_oauth2_token_form_logs_in_for_the_docs(client, ada, problem):
    client.post("/api/v1/users/", json=ada)
    r = client.post("/api/v1/users/token", data={"username": ada["email"], "password": ada["password"]})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    problem(client.post("/api/v1/users/token", data={"username": ada["email"], "password": "nope-nope"}), 401)
    problem(client.post("/api/v1/users/token", data={}), 422)


def test_me_without_or_with_a_bad_token_is_a_401_problem(client, problem):
    assert problem(client.get("/api/v1/users/me"), 401)
    r = client.get("/api/v1/users/me", headers={"Authorization": "Bearer forged.token.value"})
    problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_user_may_read_their_own_account_but_not_someone_elses(client, signup, problem):
    ada, bob = signup(), signup()
    assert client.get(f"/api/v1/users/{ada.id}", headers=ada.headers).json()["email"] == ada.email
    problem(client.get(f"/api/v1/users/{bob.id}", headers=ada.headers), 403)


def test_the_first_admin_exists_after_start_up_and_start_up_is_idempotent(client, admin, settings, service, project):
    from users_service.bootstrap import build

    me = client.get("/api/v1/users/me", headers=admin.headers).json()
    assert me["role"] == "admin"
    build(settings, passwords=service.users.passwords).close()  # a second replica starting
    assert client.get("/api/v1/users/me", headers=admin.headers).json()["id"] == me["id"]
    project()  # the role list is a read model
    names = [r["name"] for r in client.get("/api/v1/roles", headers=admin.headers).json()]
    assert names == ["admin", "organizer", "support", "participant"]
