"""Roles grant only known permissions; settings keep the type they were declared with."""

from __future__ import annotations

import pytest

from users_service.domain import InvalidRole, InvalidSetting, Role, RoleIndex, Setting, role_id
from users_service.domain.setting import _COERCE

pytestmark = pytest.mark.unit


def test_a_role_is_defined_with_sorted_unique_known_permissions():
    role = Role.define("moderator", ["reviews:moderate", "support:reply", "reviews:moderate"])
    assert role.id == role_id("moderator")
    assert role.permissions == ("reviews:moderate", "support:reply")


@pytest.mark.parametrize("name, perms", [("Bad Name", []), ("x", []), ("ok-name", ["fly:to_the_moon"])])
def test_bad_role_definitions_are_refused(name, perms):
    with pytest.raises(InvalidRole):
        Role.define(name, perms)


def test_redefining_a_role_replaces_its_permissions_only_when_they_change():
    role = Role.define("moderator", ["reviews:moderate"])
    role.redefine(["reviews:moderate"])
    role.redefine(["support:reply"])
    assert role.permissions == ("support:reply",)
    assert [type(e).__name__ for e in role.collect_events()] == ["Defined", "Redefined"]


def test_the_role_index_lists_each_name_once():
    index = RoleIndex()
    for name in ("admin", "support", "admin"):
        index.add(name)
    assert index.names == ["admin", "support"]


@pytest.mark.parametrize("value, type_, expected", [
    ("hello", "string", "hello"), (15, "number", 15), ("15", "number", 15), ("2.5", "number", 2.5),
    (True, "bool", True), ("false", "bool", False), ({"a": [1, 2]}, "json", {"a": [1, 2]}), (None, "json", None),
])
def test_values_are_read_as_their_type(value, type_, expected):
    typed = _COERCE[type_](value)
    assert typed == expected and type(typed) is type(expected)


@pytest.mark.parametrize("value, type_", [
    (15, "string"), ("many", "number"), (True, "number"), ("yes", "bool"), (1, "bool"), (float("nan"), "number"),
])
def test_values_that_do_not_match_their_type_are_refused(value, type_):
    with pytest.raises(InvalidSetting):
        _COERCE[type_](value)


@pytest.mark.parametrize("key, type_", [("homepage_banner", "json"), ("homepage_banner", None), ("Bad Key", None)])
def test_only_known_settings_can_be_set(key, type_):
    with pytest.raises(InvalidSetting, match="no setting"):
        Setting.set_first(key, 1, type_)


def test_the_type_comes_from_the_definition_and_a_given_one_must_agree():
    assert Setting.set_first("max_group_size", "12").value == 12
    assert Setting.set_first("waitlist_policy", "strict_fifo", "string").type == "string"
    with pytest.raises(InvalidSetting, match="of type number"):
        Setting.set_first("max_group_size", 12, "json")


def test_a_reset_setting_holds_its_default_until_set_again():
    setting = Setting.set_first("max_group_size", 12)
    setting.reset()
    setting.reset()  # already at its default: nothing to record
    assert (setting.value, setting.is_set) == (10, False)
    setting.change(10)  # the default, set explicitly: recorded, the setting is set again
    assert setting.is_set
    assert [type(e).__name__ for e in setting.collect_events()] == ["Defined", "Reset", "Changed"]


@pytest.mark.parametrize("key, value, type_", [
    ("booking_hold_minutes", 0, "number"), ("booking_hold_minutes", 1.5, "number"),
    ("booking_hold_minutes", "15", "string"), ("waitlist_policy", "random", "string"), ("Bad Key", 1, "number"),
    ("waitlist_policy", "strict_fifo", "json"),
])
def test_known_settings_and_keys_follow_their_rules(key, value, type_):
    with pytest.raises(InvalidSetting):
        Setting.set_first(key, value, type_)


def test_changing_a_setting_records_only_real_changes():
    setting = Setting.set_first("booking_hold_minutes", 15, "number")
    setting.change("15", "number")
    setting.change(20, "number")
    assert setting.value == 20
    assert [type(e).__name__ for e in setting.collect_events()] == ["Defined", "Changed"]
    with pytest.raises(InvalidSetting):
        setting.change(-1, "number")


@pytest.mark.parametrize("key, value", [
    ("booking_hold_minutes", 10_000_000_000), ("booking_hold_minutes", 10**400), ("booking_hold_minutes", 1e300),
    ("booking_hold_minutes", 10_081), ("waitlist_skip_limit", 0), ("waitlist_skip_limit", 1_001),
    ("max_group_size", 1_000_000), ("refund_fee_percent", -1), ("refund_fee_percent", 100.5),
    ("cancellation_deadline_hours", -1), ("cancellation_deadline_hours", 8_761), ("cancellation_deadline_hours", 2.5),
    ("max_seats_per_user_per_event", 0), ("max_pending_payments_per_user", 0),
    ("max_pending_payments_per_user", 1_001), ("max_waitlist_length", 0), ("max_waitlist_length", 10**7),
    ("review_min_rating", 6),
])
def test_every_known_number_has_bounds(key, value):
    with pytest.raises(InvalidSetting) as refused:
        Setting.set_first(key, value, "number")
    assert any(word in str(refused.value) for word in ("between", "whole", "finite"))


@pytest.mark.parametrize("key, value", [
    ("booking_hold_minutes", 10_080), ("booking_hold_minutes", 1), ("refund_fee_percent", 0),
    ("refund_fee_percent", 12.5), ("refund_fee_percent", 100), ("cancellation_deadline_hours", 0),
    ("max_seats_per_user_per_event", 4), ("max_pending_payments_per_user", 1), ("max_waitlist_length", 1_000_000),
])
def test_values_at_and_within_the_bounds_are_kept(key, value):
    assert Setting.set_first(key, value, "number").value == value


def test_every_known_setting_declares_a_default_that_passes_its_own_rules():
    from users_service.domain.setting import KNOWN_SETTINGS

    for key, known in KNOWN_SETTINGS.items():
        assert Setting.set_first(key, known.default, known.type).value == known.default
        if known.type == "number":
            assert known.minimum is not None and known.maximum is not None, key
