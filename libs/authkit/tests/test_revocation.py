"""Revoked tokens, as every service sees them: from users.v1 messages to refused tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from authkit import Principal
from authkit.revocation import DisabledUsers, DisabledUsersProjection
from contracts import wrap
from contracts.users import (
    RoleDefined,
    UserDisabled,
    UserEnabled,
    UserPasswordChanged,
    UserRegistered,
    UserRoleChanged,
)
from spine.db import connection_pool
from spine.projector import apply_in_transaction
from spine.settings import InfraSettings
from spine.testing import fresh_database

pytestmark = pytest.mark.integration


def principal(user_id) -> Principal:
    now = datetime.now(UTC)
    return Principal(user_id=user_id, role="participant", permissions=frozenset(), token_id="t",
                     issued_at=now, expires_at=now)


def test_a_user_disabled_on_the_topic_is_revoked_everywhere_and_redelivery_is_harmless():
    alice, bob = uuid4(), uuid4()
    disabled = wrap(UserDisabled(user_id=alice, disabled_at=datetime.now(UTC), reason="fraud"),
                    aggregate_id=str(alice), aggregate_version=3)
    unrelated = wrap(UserRegistered(user_id=bob, email="bob@example.com", full_name="Bob", role="participant",
                                    registered_at=datetime.now(UTC)), aggregate_id=str(bob), aggregate_version=1)
    with fresh_database("authkit") as db:
        conninfo = InfraSettings().conninfo(db)
        apply_in_transaction(conninfo, DisabledUsersProjection(), [unrelated, disabled, disabled])
        pool = connection_pool(db)
        try:
            check = DisabledUsers(pool, refresh_seconds=0)
            assert check(principal(alice)) is True
            assert check(principal(bob)) is False
        finally:
            pool.close()


def versioned(user_id, version: int) -> Principal:
    now = datetime.now(UTC)
    return Principal(user_id=user_id, role="participant", permissions=frozenset(), token_id="t",
                     issued_at=now, expires_at=now, user_version=version)


def test_role_and_password_changes_void_tokens_issued_at_earlier_versions_and_enabling_undoes_disabling():
    ada, bob = uuid4(), uuid4()
    now = datetime.now(UTC)
    demoted = wrap(UserRoleChanged(user_id=ada, role="participant", previous_role="organizer"),
                   aggregate_id=str(ada), aggregate_version=4)
    disabled = wrap(UserDisabled(user_id=bob, disabled_at=now), aggregate_id=str(bob), aggregate_version=2)
    enabled = wrap(UserEnabled(user_id=bob, enabled_at=now), aggregate_id=str(bob), aggregate_version=3)
    password = wrap(UserPasswordChanged(user_id=ada, changed_at=now, kind="changed"),
                    aggregate_id=str(ada), aggregate_version=6)
    with fresh_database("authkit") as db:
        conninfo = InfraSettings().conninfo(db)
        pool = connection_pool(db)
        try:
            check = DisabledUsers(pool, refresh_seconds=0)
            apply_in_transaction(conninfo, DisabledUsersProjection(), [demoted, disabled, demoted])
            assert check(versioned(ada, 3)) is True  # issued while still an organizer
            assert check(versioned(ada, 4)) is False and check(versioned(ada, 5)) is False
            assert check(principal(ada)) is True  # no `ver` claim: counts as 0
            assert check(versioned(bob, 9)) is True  # disabled: every token

            apply_in_transaction(conninfo, DisabledUsersProjection(), [enabled, password])
            assert check(versioned(bob, 2)) is True  # from before the re-enabling
            assert check(versioned(bob, 3)) is False
            assert check(versioned(ada, 5)) is True and check(versioned(ada, 6)) is False
        finally:
            pool.close()


def test_redefining_a_role_voids_its_holders_earlier_tokens_but_defining_it_does_not():
    ada = uuid4()
    defined = wrap(RoleDefined(name="moderator", permissions=["reviews:moderate"]),
                   aggregate_id=str(uuid4()), aggregate_version=1)
    role_id = str(uuid4())
    redefined = wrap(RoleDefined(name="support", permissions=["support:reply"]), aggregate_id=role_id,
                     aggregate_version=3)

    def holder(role: str, role_version: int | None) -> Principal:
        now = datetime.now(UTC)
        return Principal(user_id=ada, role=role, permissions=frozenset(), token_id="t", issued_at=now,
                         expires_at=now, user_version=1, role_version=role_version)

    with fresh_database("authkit") as db:
        conninfo = InfraSettings().conninfo(db)
        pool = connection_pool(db)
        try:
            check = DisabledUsers(pool, refresh_seconds=0)
            apply_in_transaction(conninfo, DisabledUsersProjection(), [defined, redefined])
            assert check(holder("moderator", None)) is False  # a new role revokes nothing
            assert check(holder("support", 2)) is True and check(holder("support", None)) is True
            assert check(holder("support", 3)) is False
            assert check(holder("organizer", None)) is False
        finally:
            pool.close()


def test_once_loaded_the_set_is_refreshed_in_the_background_and_requests_never_wait_for_it():
    alice = uuid4()
    disabled = wrap(UserDisabled(user_id=alice, disabled_at=datetime.now(UTC), reason="fraud"),
                    aggregate_id=str(alice), aggregate_version=3)
    with fresh_database("authkit") as db:
        conninfo = InfraSettings().conninfo(db)
        apply_in_transaction(conninfo, DisabledUsersProjection(), [])
        pool = connection_pool(db)
        try:
            check = DisabledUsers(pool, refresh_seconds=0.05)
            assert check.needs_io()  # nothing loaded yet: the first check reads (on a thread, for async callers)
            assert check(principal(alice)) is False
            apply_in_transaction(conninfo, DisabledUsersProjection(), [disabled])
            deadline = time.monotonic() + 10
            while not check(principal(alice)):  # stale answers meanwhile, then the refreshed set
                assert time.monotonic() < deadline
                time.sleep(0.02)
        finally:
            pool.close()
