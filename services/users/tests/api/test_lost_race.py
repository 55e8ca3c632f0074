"""A command that loses the optimistic-concurrency race on every retry answers 409 (retryable), never 500.

A rival replica on the same database changes the setting between each of our loads and saves, so every one of
the application's attempts really conflicts in PostgreSQL: the IntegrityError reaches the API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spine.eventstore import postgres_env

from users_service.application import Users
from users_service.bootstrap import Container
from users_service.domain import Setting
from users_service.main import create_app

pytestmark = pytest.mark.api

URL = "/api/v1/settings/max_group_size"


class RivalledUsers(Users):
    """Users whose every save of a setting is preceded by another replica's change to the same setting."""

    name = "Users"  # the same event store (tables are named after the application)
    rival: Users
    rival_values: Iterator[int]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        for obj in objs:
            if isinstance(obj, Setting):
                self.rival.put_setting(obj.key, next(self.rival_values))
        return super().save(*objs, **kwargs)


@pytest.fixture(scope="module")
def rivalled(service: Container) -> Iterator[TestClient]:
    """The users API whose application loses every race (swapped into the container, not monkeypatched)."""
    env = postgres_env(service.settings.database, service.settings)
    users = RivalledUsers(env, keys=service.keys, passwords=service.users.passwords, policy=service.users.policy)
    users.rival = Users(env, keys=service.keys, passwords=service.users.passwords, policy=service.users.policy)
    users.rival_values = iter(range(2, 100))
    with TestClient(create_app(container=dataclasses.replace(service, users=users))) as client:
        yield client
    users.rival.close()
    users.close()


def test_a_setting_change_that_loses_every_race_is_a_retryable_409(client, rivalled, admin, problem):
    assert client.put(URL, json={"value": 20}, headers=admin.headers).status_code == 200

    answer = rivalled.put(URL, json={"value": 30}, headers=admin.headers)

    body = problem(answer, 409)
    assert body["type"] == "/docs/problems#concurrent-change"
    assert answer.headers["Retry-After"] == "1"
    # Our value was never stored; the rival's last one was (three attempts, three rival changes).
    assert client.get(URL, headers=admin.headers).json()["value"] == 4
