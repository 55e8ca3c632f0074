"""Shared fixtures: the users API on a fresh database per test, with fast (test-only) password hashing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from spine.projector import apply_in_transaction
from spine.relay import Relay
from spine.testing import fresh_database

from users_service import public
from users_service.bootstrap import Container, build
from users_service.main import create_app
from users_service.passwords import Passwords
from users_service.settings import Settings

ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "root-password-1"

# Argon2id with minimal cost: same code path, milliseconds instead of ~200 ms per hash.
FAST_PASSWORDS = Passwords(PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)))


@dataclass
class Account:
    """A registered user and their tokens."""

    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


# One database per test module (fresh for it, dropped after it): bootstrapping costs ~0.8 s, and the tests
# within a module use their own unique accounts, so they do not depend on one another.
@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database("users_test") as name:
        yield name


@pytest.fixture(scope="module")
def settings(database: str) -> Settings:
    return Settings(database=database, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
                    secret_key="test-secret")


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[Container]:
    built = build(settings, passwords=FAST_PASSWORDS)
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(service: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=service)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def signup(client: TestClient) -> Callable[..., Account]:
    """Register and log in a new user (a unique e-mail unless given)."""

    def make(email: str | None = None, password: str = "analytical-engine-7", full_name: str = "Ada Lovelace"
             ) -> Account:
        email = email or f"user-{uuid4().hex[:8]}@example.com"
        r = client.post("/api/v1/users/", json={"email": email, "full_name": full_name, "password": password})
        assert r.status_code == 201, r.text
        tokens = client.post("/api/v1/users/login", json={"email": email, "password": password}).json()
        return Account(r.json()["id"], email, password, tokens["access_token"], tokens["refresh_token"])

    return make


@pytest.fixture(scope="module")
def admin(client: TestClient) -> Account:
    tokens = client.post("/api/v1/users/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).json()
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    return Account(me["id"], ADMIN_EMAIL, ADMIN_PASSWORD, tokens["access_token"], tokens["refresh_token"])


@pytest.fixture(scope="module")
def project(service: Container) -> Callable[[], None]:
    """Do what relay + projector do, without Kafka: every stored event → public envelope → users_view."""

    def run() -> None:
        relay = Relay(service.users, service.settings.topic, public.to_public, service.settings)
        envelopes = [e for n in service.users.recorder.select_notifications(start=1, limit=10_000)
                     if (e := relay.envelope_for(service.users.mapper.to_domain_event(n))) is not None]
        for view in (service.users_view, service.roles_view):
            apply_in_transaction(service.settings.conninfo(service.settings.database), view, envelopes)

    return run


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


@pytest.fixture
def problem() -> Callable[[Any, int], dict[str, Any]]:
    return assert_problem


@pytest.fixture(scope="session")
def fast_passwords() -> Passwords:
    return FAST_PASSWORDS
