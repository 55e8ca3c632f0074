"""The revocation projection applies a batch with a few multi-row statements: its tables must end exactly as
with the same messages applied one by one (users disabled, re-enabled and disabled again in one batch,
duplicates, stale versions, roles redefined)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import Column, MetaData, Table, Text

from authkit.revocation import DisabledUsersProjection
from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

pytestmark = pytest.mark.integration

_keys = MetaData()


class _Compared(DisabledUsersProjection):
    """What the row comparison reads (the projection's DDL is its own; only names and keys matter here)."""

    tables = [Table("disabled_users", _keys, Column("user_id", Text, primary_key=True)),
              Table("token_cutoffs", _keys, Column("user_id", Text, primary_key=True)),
              Table("role_cutoffs", _keys, Column("role", Text, primary_key=True))]


def test_a_batch_equals_its_messages_one_by_one():
    lives = [["UserRegistered", "UserDisabled", "UserEnabled", "UserDisabled", "UserPasswordChanged"],
             ["UserDisabled", "UserEnabled"], ["UserDisabled", "UserDisabled", "UserRoleChanged"],
             ["UserEnabled", "UserDisabled", "UserEnabled"], ["UserRegistered"]]
    stories = [golden_story(life, "user_id", user_id=uuid4()) for life in lives * 2]
    for n, story in enumerate(stories):  # distinct reasons: which disabling won shows in the row
        stories[n] = [e.model_copy(update={"payload": {**e.payload, "reason": f"r{i}"}})
                      if e.type == "UserDisabled" else e for i, e in enumerate(story)]
    stories += [golden_story(["RoleDefined"] * 3, "name", name=name) for name in ("support", "host")]
    with fresh_database("authkit_batches") as db:
        rows = check_batched(InfraSettings().conninfo(db), _Compared, mixed_batch(stories))
    assert sorted(r["reason"] for r in rows["disabled_users"]) == ["r0", "r0", "r3", "r3"]
    assert len(rows["token_cutoffs"]) == 8 and len(rows["role_cutoffs"]) == 2
