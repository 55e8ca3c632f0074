"""Idempotency-Key in the users service: keys belong to the signed-in user (so they survive a token refresh),
and nothing that carries or spends tokens is ever stored or replayed."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

pytestmark = pytest.mark.api


def refresh(client, token: str, headers: dict[str, str] | None = None):
    return client.post("/api/v1/users/refresh", json={"refresh_token": token}, headers=headers or {})


def stored_keys(settings, key: str) -> list[tuple]:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        return conn.execute("SELECT caller, body FROM idempotency_keys WHERE key = %s", (key,)).fetchall()


def test_the_same_key_replays_after_the_caller_refreshed_their_token(client, admin, signup):
    olga = signup()
    key = f"disable-{uuid4()}"
    first = client.post(f"/api/v1/users/{olga.id}/disable", headers={**admin.headers, "Idempotency-Key": key})
    assert first.status_code == 200 and first.json()["disabled"] is True

    pair = refresh(client, admin.refresh_token).json()
    admin.access_token, admin.refresh_token = pair["access_token"], pair["refresh_token"]
    again = client.post(f"/api/v1/users/{olga.id}/disable", headers={**admin.headers, "Idempotency-Key": key})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert [caller for caller, _ in stored_keys(client.app.state.container.settings, key)] == [admin.id]


def test_another_user_with_the_same_key_does_not_see_the_answer(client, admin, signup, problem):
    olga, mallory = signup(), signup()
    key = f"shared-{uuid4()}"
    client.post(f"/api/v1/users/{olga.id}/disable", headers={**admin.headers, "Idempotency-Key": key})
    refused = client.post(f"/api/v1/users/{olga.id}/disable", headers={**mallory.headers, "Idempotency-Key": key})
    problem(refused, 403)
    assert "idempotent-replayed" not in refused.headers


def test_a_replayed_refresh_still_meets_reuse_detection_and_no_token_is_stored(client, signup, problem, settings):
    ada = signup()
    key = f"refresh-{uuid4()}"
    # Even a signed-in caller (Authorization present, so a subject exists) gets no stored refresh.
    headers = {**ada.headers, "Idempotency-Key": key}
    first = refresh(client, ada.refresh_token, headers)
    assert first.status_code == 200
    replayed = refresh(client, ada.refresh_token, headers)
    assert "already used" in problem(replayed, 401)["detail"]
    assert "idempotent-replayed" not in replayed.headers
    assert stored_keys(settings, key) == []
    # The reuse revoked the family: the token the first refresh gave out is dead too.
    problem(refresh(client, first.json()["refresh_token"]), 401)


def test_logins_with_a_key_are_not_stored(client, signup, settings):
    ada = signup()
    key = f"login-{uuid4()}"
    body = {"email": ada.email, "password": ada.password}
    first = client.post("/api/v1/users/login", json=body, headers={"Idempotency-Key": key})
    again = client.post("/api/v1/users/login", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert first.json()["refresh_token"] != again.json()["refresh_token"]
    assert stored_keys(settings, key) == []
