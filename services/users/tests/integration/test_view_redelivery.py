"""The users view is idempotent under redelivery: Kafka's again, the relay's re-publish."""

from __future__ import annotations

from uuid import uuid4

import pytest

from spine.settings import InfraSettings
from spine.testing import check_redelivery, fresh_database, golden_story

from users_service.projections.users_view import UsersView

pytestmark = pytest.mark.integration


def test_users_view():
    user = uuid4()
    story = golden_story(["UserRegistered", "UserRoleChanged", "UserDisabled"], "user_id", user_id=user)
    with fresh_database("users_redelivery") as name:
        rows = check_redelivery(InfraSettings().conninfo(name), UsersView, story)
    (row,) = rows["users_view"]
    assert (row["role"], row["version"], row["disabled_at"] is not None) == (story[1].payload["role"], 3, True)


def test_a_re_enabled_account_is_listed_as_enabled():
    story = golden_story(["UserRegistered", "UserDisabled", "UserEnabled"], "user_id", user_id=uuid4())
    with fresh_database("users_redelivery") as name:
        rows = check_redelivery(InfraSettings().conninfo(name), UsersView, story)
    (row,) = rows["users_view"]
    assert (row["version"], row["disabled_at"]) == (3, None)


def test_roles_view():
    from users_service.projections.roles_view import RolesView

    support = golden_story(["RoleDefined", "RoleDefined"], "name", name="support")
    support[1] = support[1].model_copy(update={"payload": {**support[1].payload, "permissions": ["support:reply"]}})
    with fresh_database("roles_redelivery") as name:
        rows = check_redelivery(InfraSettings().conninfo(name), RolesView, support)
    assert [(r["name"], r["permissions"], r["version"]) for r in rows["roles_view"]] == [
        ("support", ["support:reply"], 2)]
