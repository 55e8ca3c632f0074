"""The users service's views apply a batch with a few multi-row statements: the rows must be exactly those of
the same messages applied one by one (repeated keys, duplicates and stale versions included)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_batched, fresh_database, golden_story, mixed_batch

from users_service.projections.roles_view import RolesView
from users_service.projections.users_view import UsersView

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conninfo():
    with fresh_database("users_batches") as name:
        yield InfraSettings().conninfo(name)


def test_users_view(conninfo):
    lives = [["UserRegistered", "UserRoleChanged", "UserDisabled", "UserEnabled", "UserDisabled"],
             ["UserRegistered", "UserDisabled", "UserEnabled"], ["UserRegistered"],
             ["UserRoleChanged", "UserDisabled"]]  # registered before this topic's start: no row
    stories = [golden_story(life, "user_id", user_id=uuid4()) for life in lives * 3]
    rows = check_batched(conninfo, UsersView, mixed_batch(stories))
    assert sorted(r["version"] for r in rows["users_view"]) == [1, 1, 1, 3, 3, 3, 5, 5, 5]


def test_roles_view(conninfo):
    stories = []
    for name in ("support", "auditor", "host"):
        story = golden_story(["RoleDefined"] * 4, "name", name=name)
        for n, envelope in enumerate(story):
            payload = {**envelope.payload, "permissions": [f"p:{n}"] * (n % 2 + 1)}
            story[n] = envelope.model_copy(update={"payload": payload})
        stories.append(story)
    rows = check_batched(conninfo, RolesView, mixed_batch(stories))
    assert [(r["version"], r["permissions"]) for r in rows["roles_view"]] == [(4, ["p:3", "p:3"])] * 3
