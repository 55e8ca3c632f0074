"""Who did it, as the audit log will read it: every users.v1 message carries the acting user in `actor_id`.

An admin's own actions carry the admin (role change, disable/enable, forced reset, role definition,
settings); a sign-up and a reset completed with a one-time token carry the user themself (no bearer token
says who they are, but the request is theirs)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from spine.relay import envelope_of

from users_service import public
from users_service.domain import role_id, setting_id

pytestmark = pytest.mark.api


def messages(service, aggregate_id) -> list[tuple[str, str | None]]:
    """(type, actor_id) of what the relay publishes for one aggregate."""
    app = service.users
    return [(e.type, e.actor_id) for stored in app.recorder.select_events(UUID(str(aggregate_id)))
            if (e := envelope_of(app.mapper.to_domain_event(stored), public.to_public, app.name))]


def test_a_sign_up_is_the_new_users_own_act(client, service, signup):
    ada = signup()

    assert messages(service, ada.id) == [("UserRegistered", ada.id)]


def test_an_admins_actions_on_an_account_carry_the_admin(client, service, signup, admin):
    bob = signup()
    assert client.put(f"/api/v1/users/{bob.id}/role", json={"role": "organizer"}, headers=admin.headers).is_success
    assert client.post(f"/api/v1/users/{bob.id}/disable", json={"reason": "checks"}, headers=admin.headers).is_success
    assert client.post(f"/api/v1/users/{bob.id}/enable", headers=admin.headers).is_success
    reset = client.post(f"/api/v1/users/{bob.id}/password-reset", headers=admin.headers)
    assert reset.status_code == 201, reset.text
    done = client.post("/api/v1/users/password-reset", json={"token": reset.json()["reset_token"],
                                                            "new_password": "correct horse battery 42"})
    assert done.status_code == 204, done.text

    assert messages(service, bob.id) == [
        ("UserRegistered", bob.id), ("UserRoleChanged", admin.id), ("UserDisabled", admin.id),
        ("UserEnabled", admin.id), ("UserPasswordChanged", admin.id),  # the admin forced the reset
        ("UserPasswordChanged", bob.id)]  # bob completed it with the token


def test_roles_and_settings_changed_by_an_admin_carry_the_admin(client, service, admin):
    name = f"desk-{uuid4().hex[:6]}"
    assert client.post("/api/v1/roles", json={"name": name, "permissions": []}, headers=admin.headers).is_success
    assert client.put("/api/v1/settings/max_group_size", json={"value": 7, "type": "number"},
                      headers=admin.headers).is_success

    assert messages(service, role_id(name)) == [("RoleDefined", admin.id)]
    assert messages(service, setting_id("max_group_size"))[-1] == ("SettingChanged", admin.id)
