"""Shared fixtures: a fresh payments database per test module, the API on it, and callers with real tokens.

Each test makes its own users (fresh ids), so tests in a module do not see each other's payments where
it matters; one database per module keeps the suite fast on two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from authkit.testing import Caller, TestIssuer, caller
from spine.testing import fresh_database

from payments_service.main import create_app
from payments_service.settings import Settings
from payments_service.testing import feed_payments_view


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("payments_test") as name:
        yield Settings(database=name)


@pytest.fixture(scope="module")
def client(settings: Settings, issuer: TestIssuer) -> Iterator[TestClient]:
    with TestClient(create_app(settings, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def other_participant(issuer: TestIssuer) -> Caller:
    return caller(issuer, "participant")


@pytest.fixture
def feed_view(client: TestClient, settings: Settings) -> Callable[[], int]:
    """Call it to publish everything stored so far into payments_view (see testing.feed_payments_view)."""
    return lambda: feed_payments_view(client.app.state.container.payments, settings.conninfo(settings.database))
