"""Disabled users, as every service sees them: from UserDisabled messages to refused tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from authkit import Principal
from authkit.revocation import DisabledUsers, DisabledUsersProjection
from contracts import wrap
from contracts.users import UserDisabled, UserRegistered
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
