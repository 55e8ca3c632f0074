"""Settings that explain themselves: every known setting is listed with its default, type, bounds and purpose;
only known settings exist; DELETE returns one to its default (SettingReset on users.v1). Bad requests change
nothing."""

from __future__ import annotations

import pytest

from spine.relay import envelope_of

from users_service import public
from users_service.domain import setting_id
from users_service.domain.setting import KNOWN_SETTINGS

pytestmark = pytest.mark.api

URL = "/api/v1/settings"


def published(service, key: str) -> list[tuple[str, dict]]:
    """(type, payload) of what the relay publishes about one setting."""
    app = service.users
    return [(e.type, e.payload) for stored in app.recorder.select_events(setting_id(key))
            if (e := envelope_of(app.mapper.to_domain_event(stored), public.to_public, app.name))]


def test_the_list_names_every_known_setting_with_its_definition(client, admin, problem):
    r = client.get(URL, headers=admin.headers)
    assert r.status_code == 200
    listed = {s["key"]: s for s in r.json()}
    assert list(listed) == list(KNOWN_SETTINGS)
    for key, s in listed.items():
        assert s["description"] and s["type"] in ("string", "number", "bool", "json"), key
        if s["type"] == "number":
            assert s["minimum"] is not None and s["maximum"] is not None, f"{key} has no bounds"
        else:
            assert s["choices"] or s["pattern"], f"{key} accepts any text"
    assert listed["booking_hold_minutes"] | {"value": None} == {
        "key": "booking_hold_minutes", "value": None, "type": "number", "default": 15, "is_default": True,
        "minimum": 1, "maximum": 10_080, "whole": True, "choices": None, "pattern": None,
        "description": KNOWN_SETTINGS["booking_hold_minutes"].description}
    assert listed["waitlist_policy"]["choices"] == ["strict_fifo", "first_fit", "first_fit_fair"]


def test_the_settings_the_services_read_are_all_defined():
    read_by_services = {"booking_hold_minutes", "waitlist_policy", "waitlist_skip_limit", "max_group_size",
                        "refund_fee_percent", "cancellation_deadline_hours", "max_seats_per_user_per_event",
                        "max_pending_payments_per_user", "max_waitlist_length", "default_locale",
                        "cash_hold_minutes_before_start"}
    assert read_by_services <= set(KNOWN_SETTINGS)


def test_listing_needs_settings_manage(client, signup, problem):
    problem(client.get(URL), 401)
    problem(client.get(URL, headers=signup().headers), 403)


def test_a_setting_never_set_reads_as_its_default(client, admin):
    r = client.get(f"{URL}/waitlist_skip_limit", headers=admin.headers)
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["default"], r.json()["is_default"]) == (3, 3, True)


def test_put_takes_the_type_from_the_definition(client, admin, service):
    r = client.put(f"{URL}/max_waitlist_length", json={"value": 250}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["type"], r.json()["is_default"]) == (250, "number", False)
    # The seed's form (value + type) stays accepted when the type agrees.
    assert client.put(f"{URL}/max_waitlist_length", json={"value": "300", "type": "number"},
                      headers=admin.headers).json()["value"] == 300
    assert published(service, "max_waitlist_length") == [
        ("SettingChanged", {"key": "max_waitlist_length", "type": "number", "value": 250}),
        ("SettingChanged", {"key": "max_waitlist_length", "type": "number", "value": 300})]


@pytest.mark.parametrize("body", [{"value": 12, "type": "json"}, {"value": 12, "type": "string"},
                                  {"value": "twelve"}, {"value": 0}, {"value": 1.5}, {}])
def test_a_wrong_type_or_value_is_422_and_changes_nothing(client, admin, problem, service, body):
    url = f"{URL}/max_pending_payments_per_user"
    problem(client.put(url, json=body, headers=admin.headers), 422)
    assert client.get(url, headers=admin.headers).json()["is_default"] is True
    assert published(service, "max_pending_payments_per_user") == []


def test_unknown_keys_are_refused_and_never_stored(client, admin, problem, service):
    url = f"{URL}/homepage.banner"
    body = problem(client.put(url, json={"value": {"text": "Hi"}, "type": "json"}, headers=admin.headers), 422)
    assert "homepage.banner" in body["detail"]
    problem(client.get(url, headers=admin.headers), 404)
    problem(client.delete(url, headers=admin.headers), 404)
    assert "homepage.banner" not in {s["key"] for s in client.get(URL, headers=admin.headers).json()}
    assert published(service, "homepage.banner") == []


def test_delete_returns_a_setting_to_its_default(client, admin, service):
    url = f"{URL}/refund_fee_percent"
    assert client.put(url, json={"value": 12.5}, headers=admin.headers).json()["value"] == 12.5

    r = client.delete(url, headers=admin.headers)
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["is_default"]) == (0, True)
    assert client.get(url, headers=admin.headers).json()["is_default"] is True
    assert client.delete(url, headers=admin.headers).status_code == 200  # already default: nothing to record
    assert [t for t, _ in published(service, "refund_fee_percent")] == ["SettingChanged", "SettingReset"]
    assert published(service, "refund_fee_percent")[-1] == ("SettingReset", {"key": "refund_fee_percent"})

    # Set again after the reset, even to the default value: it is an explicit value again.
    again = client.put(url, json={"value": 0}, headers=admin.headers)
    assert (again.json()["value"], again.json()["is_default"]) == (0, False)


def test_delete_of_a_setting_never_set_publishes_nothing(client, admin, service):
    r = client.delete(f"{URL}/review_min_rating", headers=admin.headers)
    assert r.status_code == 200 and r.json()["is_default"] is True
    assert published(service, "review_min_rating") == []


def test_delete_needs_settings_manage_and_changes_nothing_without_it(client, admin, signup, problem):
    url = f"{URL}/max_group_size"
    assert client.put(url, json={"value": 7}, headers=admin.headers).status_code == 200
    problem(client.delete(url), 401)
    problem(client.delete(url, headers=signup().headers), 403)
    assert client.get(url, headers=admin.headers).json()["value"] == 7


def test_default_locale_reset_gives_new_accounts_the_default_again(client, admin, signup):
    assert client.put(f"{URL}/default_locale", json={"value": "ru"}, headers=admin.headers).status_code == 200
    assert client.delete(f"{URL}/default_locale", headers=admin.headers).status_code == 200
    ada = signup()
    assert client.get("/api/v1/users/me", headers=ada.headers).json()["locale"] == "en"

