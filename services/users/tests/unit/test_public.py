"""What other services see of the users domain: public contracts only, never hashes or sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.users import (
    RoleDefined,
    SettingChanged,
    SettingReset,
    UserDisabled,
    UserEnabled,
    UserPasswordChanged,
    UserRegistered,
    UserRoleChanged,
)

from users_service.domain import EmailRegistration, Role, Setting, TokenFamily, User
from users_service.public import to_public

pytestmark = pytest.mark.unit


def test_account_events_become_their_contracts_without_the_password_hash():
    user = User("Ada@Example.com", "Ada", "argon2-hash", "participant")
    user.change_role("organizer")
    user.disable("fraud")
    registered, role_changed, disabled = (to_public(e) for e in user.collect_events())
    assert isinstance(registered, UserRegistered) and registered.user_id == user.id
    assert registered.email == "ada@example.com" and "argon2-hash" not in registered.model_dump_json()
    assert role_changed == UserRoleChanged(user_id=user.id, role="organizer", previous_role="participant")
    assert isinstance(disabled, UserDisabled) and disabled.reason == "fraud"


def test_role_definitions_and_redefinitions_are_both_role_defined():
    role = Role.define("moderator", ["reviews:moderate"])
    role.redefine(["support:reply"])
    assert [to_public(e) for e in role.collect_events()] == [
        RoleDefined(name="moderator", permissions=["reviews:moderate"]),
        RoleDefined(name="moderator", permissions=["support:reply"]),
    ]


def test_every_setting_value_is_published_typed():
    setting = Setting.set_first("booking_hold_minutes", "15", "number")
    setting.change(30, "number")
    setting.reset()
    assert [to_public(e) for e in setting.collect_events()] == [
        SettingChanged(key="booking_hold_minutes", type="number", value=15),
        SettingChanged(key="booking_hold_minutes", type="number", value=30),
        SettingReset(key="booking_hold_minutes"),
    ]


def test_sessions_and_email_claims_stay_private():
    family = TokenFamily(uuid4(), uuid4(), "hash", datetime.now(UTC) + timedelta(days=1))
    family.revoke("logout")
    claim = EmailRegistration("ada@example.com", uuid4())
    assert [to_public(e) for e in [*family.collect_events(), *claim.collect_events()]] == [None, None, None]


def test_password_changes_resets_and_re_enabling_are_public_without_hashes_or_reset_tokens():
    user = User("ada@example.com", "Ada", "old-hash", "participant")
    user.disable("fraud")
    user.enable()
    user.change_password("new-hash")
    user.require_reset("reset-token-hash", datetime.now(UTC) + timedelta(hours=1))
    user.change_password("newer-hash", kind="reset")
    published = [to_public(e) for e in user.collect_events()][2:]
    assert isinstance(published[0], UserEnabled)
    assert [(type(p), p.kind) for p in published[1:]] == [(UserPasswordChanged, "changed"),
                                                          (UserPasswordChanged, "reset_requested"),
                                                          (UserPasswordChanged, "reset")]
    assert not any(secret in p.model_dump_json() for p in published for secret in ("hash", "reset-token"))
