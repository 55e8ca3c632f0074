"""Shared fixtures: a fresh events database per test module, the API on it, and callers with real tokens.

Each test makes its own users (fresh ids) and its own events, so tests in a module do not see each
other's data where it matters; one database per module keeps the suite fast on two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from authkit.testing import Caller, TestIssuer, caller
from spine.testing import fresh_database

from events_service.main import create_app
from events_service.settings import Settings
from events_service.testing import feed_catalogue


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("events_test") as name:
        yield Settings(database=name)


@pytest.fixture(scope="module")
def client(settings: Settings, issuer: TestIssuer) -> Iterator[TestClient]:
    with TestClient(create_app(settings, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def other_organizer(issuer: TestIssuer) -> Caller:
    return caller(issuer, "organizer")


@pytest.fixture
def feed_catalogue_now(client: TestClient, settings: Settings) -> Callable[[], int]:
    """Call it to publish everything stored so far into the catalogue read model (see testing.feed_catalogue)."""
    return lambda: feed_catalogue(client.app.state.container.events, settings.conninfo(settings.database))
