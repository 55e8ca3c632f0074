"""Shared fixtures: a fresh notifications database per test module, the API on it, callers with real tokens.

Each test makes its own users (fresh ids), so tests in a module do not see each other's notifications;
one database per module keeps the suite fast on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authkit.testing import Caller, TestIssuer, caller
from fastapi.testclient import TestClient
from spine.testing import fresh_database

from notifications_service.main import create_app
from notifications_service.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("notifications_test") as name:
        yield Settings(database=name)


@pytest.fixture(scope="module")
def client(settings: Settings, issuer: TestIssuer) -> Iterator[TestClient]:
    with TestClient(create_app(settings, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def other_participant(issuer: TestIssuer) -> Caller:
    return caller(issuer, "participant")
