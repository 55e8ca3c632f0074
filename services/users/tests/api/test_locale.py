"""The user's locale (language of e-mails): chosen at registration or PATCH /api/v1/users/me, default from the
`default_locale` setting, and published on users.v1 (UserRegistered.locale, UserProfileUpdated)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from contracts import parse_payload
from contracts.users import UserProfileUpdated, UserRegistered

from users_service import public

pytestmark = pytest.mark.api

PASSWORD = "correct horse battery 42"


def _register(client, **extra):
    body = {"email": f"loc-{uuid4().hex[:8]}@example.com", "full_name": "Loc", "password": PASSWORD, **extra}
    r = client.post("/api/v1/users/", json=body)
    assert r.status_code == 201, r.text
    login = client.post("/api/v1/users/login", json={"email": body["email"], "password": PASSWORD}).json()
    return r.json(), {"Authorization": f"Bearer {login['access_token']}"}


def _published(service, user_id: str) -> list:
    app = service.users
    notifications = app.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    out = []
    for n in notifications:
        event = app.mapper.to_domain_event(n)
        if str(event.originator_id) == user_id and (message := public.to_public(event)) is not None:
            out.append(message)
    return out


def test_a_locale_given_at_registration_is_kept_and_published(client, service):
    user, headers = _register(client, locale="ru")
    assert user["locale"] == "ru"
    assert client.get("/api/v1/users/me", headers=headers).json()["locale"] == "ru"
    registered = [m for m in _published(service, user["id"]) if isinstance(m, UserRegistered)]
    assert [m.locale for m in registered] == ["ru"]


def test_without_a_locale_the_default_locale_setting_applies(client, service, admin):
    assert _register(client)[0]["locale"] == "en"  # the setting's declared default
    r = client.put("/api/v1/settings/default_locale", json={"value": "ru", "type": "string"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    try:
        assert _register(client)[0]["locale"] == "ru"
    finally:
        client.put("/api/v1/settings/default_locale", json={"value": "en", "type": "string"}, headers=admin.headers)


def test_patch_me_changes_the_locale_and_publishes_it(client, service):
    user, headers = _register(client, locale="en")
    r = client.patch("/api/v1/users/me", json={"locale": "ru"}, headers=headers)
    assert r.status_code == 200, r.text and r.json()["locale"] == "ru"
    assert client.get("/api/v1/users/me", headers=headers).json()["locale"] == "ru"
    updates = [m for m in _published(service, user["id"]) if isinstance(m, UserProfileUpdated)]
    assert [m.locale for m in updates] == ["ru"]
    # The same value again changes nothing (no second event).
    assert client.patch("/api/v1/users/me", json={"locale": "ru"}, headers=headers).status_code == 200
    assert len([m for m in _published(service, user["id"]) if isinstance(m, UserProfileUpdated)]) == 1


@pytest.mark.parametrize("body", [{"locale": "de"}, {"locale": ""}, {"locale": None, "role": "admin"}, {"locale": 1}])
def test_bad_profile_changes_are_422(client, problem, body):
    _, headers = _register(client)
    problem(client.patch("/api/v1/users/me", json=body, headers=headers), 422)


def test_a_bad_locale_at_registration_is_422(client, problem):
    problem(client.post("/api/v1/users/", json={"email": f"x-{uuid4().hex[:6]}@example.com", "full_name": "X",
                                                "password": PASSWORD, "locale": "xx"}), 422)


def test_an_unsupported_default_locale_setting_is_refused(client, admin, problem):
    problem(client.put("/api/v1/settings/default_locale", json={"value": "de", "type": "string"},
                       headers=admin.headers), 422)


def test_anonymous_cannot_patch(client, problem):
    problem(client.patch("/api/v1/users/me", json={"locale": "ru"}), 401)


def test_parse_round_trip():
    m = UserProfileUpdated(user_id=uuid4(), locale="ru")
    assert parse_payload  # the contract is registered (golden test covers the sample)
    assert m.locale == "ru"
