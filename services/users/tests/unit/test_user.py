"""Accounts: unique e-mails, role changes and disabling."""

from __future__ import annotations

from uuid import uuid4

import pytest

from users_service.domain import AccountDisabled, EmailRegistration, User, email_registration_id

pytestmark = pytest.mark.unit


def ada() -> User:
    return User("  Ada@Example.COM ", "Ada Lovelace", "hash", "participant")


def test_emails_are_stored_lower_case():
    assert ada().email == "ada@example.com"


def test_the_same_email_in_any_case_claims_the_same_registration():
    first = EmailRegistration("ada@example.com", uuid4())
    second = EmailRegistration("ADA@example.com ", uuid4())
    assert first.id == second.id == email_registration_id("Ada@Example.com")
    assert EmailRegistration("bob@example.com", uuid4()).id != first.id


def test_changing_the_role_records_the_previous_one_and_skips_no_ops():
    user = ada()
    user.change_role("organizer")
    user.change_role("organizer")
    events = user.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered", "RoleChanged"]
    assert events[1].previous_role == "participant" and user.role == "organizer"


def test_disabling_is_recorded_once_and_blocks_use():
    user = ada()
    user.check_active()
    user.disable("fraud")
    user.disable("again")
    assert user.disabled and user.disable_reason == "fraud"
    assert user.disabled_at is not None
    assert [type(e).__name__ for e in user.collect_events()] == ["Registered", "Disabled"]
    with pytest.raises(AccountDisabled):
        user.check_active()


def test_a_disabled_user_gets_no_new_role():
    user = ada()
    user.disable()
    with pytest.raises(AccountDisabled):
        user.change_role("admin")


def test_changes_that_void_tokens_record_the_version_they_create():
    user = ada()
    assert (user.tokens_valid_from, user.sessions_valid_from) == (0, 0)
    user.change_role("organizer")  # version 2: tokens only; a refresh brings the new role
    assert (user.tokens_valid_from, user.sessions_valid_from, user.version) == (2, 0, 2)
    user.change_password("new-hash")
    assert (user.tokens_valid_from, user.sessions_valid_from, user.version) == (3, 3, 3)


def test_a_reset_token_works_once_and_not_after_it_expires():
    from datetime import UTC, datetime, timedelta

    from users_service.domain import AccountNotDisabled, PasswordResetInvalid

    user = ada()
    with pytest.raises(AccountNotDisabled):
        user.enable()
    now = datetime.now(UTC)
    user.require_reset("token-hash", now + timedelta(hours=1))
    assert user.password_hash is None
    with pytest.raises(PasswordResetInvalid):
        user.check_reset_token("other-hash", now)
    with pytest.raises(PasswordResetInvalid, match="expired"):
        user.check_reset_token("token-hash", now + timedelta(hours=2))
    user.check_reset_token("token-hash", now)
    user.change_password("new-hash", kind="reset")
    with pytest.raises(PasswordResetInvalid):
        user.check_reset_token("token-hash", now)
