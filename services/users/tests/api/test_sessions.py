"""Sessions: refresh-token rotation, reuse detection, logout, and what disabling an account does."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.api


def refresh(client, token):
    return client.post("/api/v1/users/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_refresh_token_and_issues_a_new_access_token(client, signup):
    ada = signup()
    r = refresh(client, ada.refresh_token)
    assert r.status_code == 200
    pair = r.json()
    assert pair["refresh_token"] != ada.refresh_token and pair["token_type"] == "bearer"
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == ada.id
    # The successor works once in turn.
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_whole_login(client, signup, problem):
    ada = signup()
    stolen = ada.refresh_token
    legit = refresh(client, stolen).json()["refresh_token"]
    body = problem(refresh(client, stolen), 401)  # the attacker (or a confused client) replays it
    assert "already used" in body["detail"]
    # The legitimate holder's newer token is dead too: they must log in again.
    assert "log in again" in problem(refresh(client, legit), 401)["detail"]
    # Another login of the same user is a different family and keeps working.
    other = client.post("/api/v1/users/login", json={"email": ada.email, "password": ada.password}).json()
    assert refresh(client, other["refresh_token"]).status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "0" * 32 + "." + "x" * 43, "a" * 32 + ".short"])
def test_malformed_or_unknown_refresh_tokens_are_refused(client, problem, token):
    r = refresh(client, token)
    problem(r, 422 if token == "" else 401)


def test_logout_ends_the_session_and_can_be_repeated(client, signup, problem):
    ada = signup()
    assert client.post("/api/v1/users/logout", json={"refresh_token": ada.refresh_token}).status_code == 204
    assert client.post("/api/v1/users/logout", json={"refresh_token": ada.refresh_token}).status_code == 204
    problem(refresh(client, ada.refresh_token), 401)


def test_logout_with_a_token_that_is_not_from_that_session_is_refused(client, signup, problem):
    ada = signup()
    forged = ada.refresh_token.split(".")[0] + "." + "y" * 43
    problem(client.post("/api/v1/users/logout", json={"refresh_token": forged}), 401)
    assert refresh(client, ada.refresh_token).status_code == 200


def test_a_disabled_user_cannot_log_in_refresh_or_use_access_tokens(client, signup, admin, problem):
    mallory = signup()
    r = client.post(f"/api/v1/users/{mallory.id}/disable", json={"reason": "fraud"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["disabled"] is True

    problem(client.get("/api/v1/users/me", headers=mallory.headers), 401)
    assert "disabled" in problem(client.post("/api/v1/users/login", json={
        "email": mallory.email, "password": mallory.password}), 403)["detail"]
    problem(client.post("/api/v1/users/token", data={"username": mallory.email, "password": mallory.password}), 403)
    problem(refresh(client, mallory.refresh_token), 403)
    # The refresh attempt revoked the family for good.
    problem(refresh(client, mallory.refresh_token), 401)
