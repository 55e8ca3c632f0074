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
