"""Demotions bite at once, nobody hands out permissions they lack, and disabled users can come back."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_demotion_voids_the_tokens_issued_before_it_and_a_refresh_brings_the_new_role(
        client, admin, signup, problem):
    olga = signup()
    client.put(f"/api/v1/users/{olga.id}/role", json={"role": "organizer"}, headers=admin.headers)
    problem(client.get("/api/v1/users/me", headers=olga.headers), 401)  # issued as a participant
    organizer = client.post("/api/v1/users/refresh", json={"refresh_token": olga.refresh_token}).json()
    assert client.get("/api/v1/users/me", headers=bearer(organizer["access_token"])).json()["role"] == "organizer"

    client.put(f"/api/v1/users/{olga.id}/role", json={"role": "participant"}, headers=admin.headers)
    body = problem(client.get("/api/v1/users/me", headers=bearer(organizer["access_token"])), 401)
    assert "role or password changed" in body["detail"]
    again = client.post("/api/v1/users/refresh", json={"refresh_token": organizer["refresh_token"]}).json()
    assert client.get("/api/v1/users/me", headers=bearer(again["access_token"])).json()["role"] == "participant"


def test_nobody_grants_or_defines_a_role_with_permissions_they_do_not_hold(client, admin, signup, problem):
    # A people manager: may manage users, but holds none of the organizer's or admin's other permissions.
    client.post("/api/v1/roles", json={"name": "people", "permissions": ["users:manage", "users:read_all"]},
                headers=admin.headers)
    mia, guest = signup(), signup()
    client.put(f"/api/v1/users/{mia.id}/role", json={"role": "people"}, headers=admin.headers)
    mia_headers = bearer(client.post("/api/v1/users/refresh", json={"refresh_token": mia.refresh_token}
                                     ).json()["access_token"])

    for role in ("admin", "organizer"):
        body = problem(client.put(f"/api/v1/users/{guest.id}/role", json={"role": role}, headers=mia_headers), 403)
        assert "you do not hold" in body["detail"]
    problem(client.put(f"/api/v1/users/{mia.id}/role", json={"role": "admin"}, headers=mia_headers), 403)
    # Nor may she touch someone whose role is above hers (demote, disable or reset the admin).
    problem(client.put(f"/api/v1/users/{admin.id}/role", json={"role": "participant"}, headers=mia_headers), 403)
    problem(client.post(f"/api/v1/users/{admin.id}/disable", headers=mia_headers), 403)
    problem(client.post(f"/api/v1/users/{admin.id}/password-reset", headers=mia_headers), 403)
    assert client.get("/api/v1/users/me", headers=admin.headers).json()["role"] == "admin"

    # Within her ceiling she can act.
    assert client.put(f"/api/v1/users/{guest.id}/role", json={"role": "people"},
                      headers=mia_headers).status_code == 200

    # Role definitions: a role manager may only put permissions they hold into a role.
    client.post("/api/v1/roles", json={"name": "rolesmith", "permissions": ["roles:manage", "reviews:moderate"]},
                headers=admin.headers)
    client.put(f"/api/v1/users/{guest.id}/role", json={"role": "rolesmith"}, headers=admin.headers)
    smith = bearer(client.post("/api/v1/users/refresh", json={"refresh_token": guest.refresh_token}
                               ).json()["access_token"])
    body = problem(client.post("/api/v1/roles", json={"name": "boss", "permissions": ["payments:refund"]},
                               headers=smith), 403)
    assert "payments:refund" in body["detail"]
    problem(client.post("/api/v1/roles", json={"name": "rolesmith", "permissions": ["roles:manage", "users:manage"]},
                        headers=smith), 403)  # raising their own role
    problem(client.post("/api/v1/roles", json={"name": "admin", "permissions": ["reviews:moderate"]},
                        headers=smith), 403)  # stripping a role above them
    assert client.post("/api/v1/roles", json={"name": "moderator2", "permissions": ["reviews:moderate"]},
                       headers=smith).status_code == 201


def test_a_disabled_user_can_be_re_enabled_but_old_tokens_and_sessions_stay_void(client, admin, signup, problem):
    ada = signup()
    problem(client.post(f"/api/v1/users/{ada.id}/enable", headers=admin.headers), 409)  # not disabled
    client.post(f"/api/v1/users/{ada.id}/disable", json={"reason": "chargebacks"}, headers=admin.headers)
    problem(client.post("/api/v1/users/login", json={"email": ada.email, "password": ada.password}), 403)
    problem(client.post(f"/api/v1/users/{ada.id}/enable", headers=ada.headers), 401)

    r = client.post(f"/api/v1/users/{ada.id}/enable", headers=admin.headers)
    assert r.status_code == 200 and r.json()["disabled"] is False
    problem(client.get("/api/v1/users/me", headers=ada.headers), 401)
    problem(client.post("/api/v1/users/refresh", json={"refresh_token": ada.refresh_token}), 401)
    tokens = client.post("/api/v1/users/login", json={"email": ada.email, "password": ada.password})
    assert tokens.status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(tokens.json()["access_token"])).status_code == 200


def test_enabling_needs_users_manage_and_an_existing_user(client, admin, signup, problem):
    from uuid import uuid4

    ada = signup()
    problem(client.post(f"/api/v1/users/{ada.id}/enable", headers=ada.headers), 403)
    problem(client.post(f"/api/v1/users/{uuid4()}/enable", headers=admin.headers), 404)


def test_taking_a_permission_away_from_a_role_bites_at_once_for_every_holder(client, admin, signup, problem):
    client.post("/api/v1/roles", json={"name": "curator", "permissions": ["users:read_all"]}, headers=admin.headers)
    cleo = signup()
    client.put(f"/api/v1/users/{cleo.id}/role", json={"role": "curator"}, headers=admin.headers)
    curator = client.post("/api/v1/users/refresh", json={"refresh_token": cleo.refresh_token}).json()
    assert client.get("/api/v1/users/", headers=bearer(curator["access_token"])).status_code == 200

    client.post("/api/v1/roles", json={"name": "curator", "permissions": []}, headers=admin.headers)
    problem(client.get("/api/v1/users/", headers=bearer(curator["access_token"])), 401)
    again = client.post("/api/v1/users/refresh", json={"refresh_token": curator["refresh_token"]}).json()
    problem(client.get("/api/v1/users/", headers=bearer(again["access_token"])), 403)
    assert client.get("/api/v1/users/me", headers=bearer(again["access_token"])).status_code == 200


def test_an_admin_cannot_lock_themselves_out_but_another_admin_may_act_on_them(client, admin, signup, problem):
    me = f"/api/v1/users/{admin.id}"
    for method, path, body in (("put", "/role", {"role": "participant"}), ("post", "/disable", None),
                               ("post", "/password-reset", None)):
        answer = client.request(method.upper(), me + path, json=body, headers=admin.headers)
        assert "your own account" in problem(answer, 409)["detail"]
    assert client.get("/api/v1/users/me", headers=admin.headers).json()["role"] == "admin"  # nothing changed

    deputy = signup()
    promoted = client.put(f"/api/v1/users/{deputy.id}/role", json={"role": "admin"}, headers=admin.headers)
    assert promoted.status_code == 200
    deputy_headers = bearer(client.post("/api/v1/users/refresh", json={"refresh_token": deputy.refresh_token}
                                        ).json()["access_token"])
    problem(client.post(f"/api/v1/users/{deputy.id}/disable", headers=deputy_headers), 409)
    r = client.put(f"/api/v1/users/{deputy.id}/role", json={"role": "participant"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["role"] == "participant"
