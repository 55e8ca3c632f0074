"""Shared fixtures: a fresh bookings database per test module, the API on it, callers with real tokens,
and the catalogue replica fed the way the events service's messages would feed it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from authkit.testing import Caller, TestIssuer, caller
from contracts import Envelope
from spine.projector import apply_in_transaction
from spine.testing import fresh_database

from bookings_service.consumers.saga import SagaHandler
from bookings_service.main import create_app
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.settings import Settings
from bookings_service.testing import feed_view


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with fresh_database("bookings_test") as name:
        yield Settings(database=name)


@pytest.fixture(scope="module")
def client(settings: Settings, issuer: TestIssuer) -> Iterator[TestClient]:
    with TestClient(create_app(settings, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def catalogue(settings: Settings) -> Callable[..., None]:
    """Apply events.v1 envelopes to the catalogue replica (what the worker's projection does)."""
    return lambda *envelopes: apply_in_transaction(settings.conninfo(settings.database), CatalogueReplica(),
                                                   envelopes)


@pytest.fixture
def view(client: TestClient, settings: Settings) -> Callable[[], int]:
    """Call it to bring bookings_view up to date with everything stored so far."""
    return lambda: feed_view(client.app.state.container.bookings, settings.conninfo(settings.database))


@pytest.fixture(scope="module")
def saga(client: TestClient) -> Callable[[Envelope], None]:
    """Deliver messages to the saga handler as the worker would (each at a new offset)."""
    container = client.app.state.container
    handler = SagaHandler(container.bookings, live_booking_ids=container.query.live_booking_ids,
                          rules=container.rules.current)
    offsets = count()

    def deliver(*envelopes: Envelope) -> None:
        for envelope in envelopes:
            handler.handle(envelope, Tracking("test:events.v1:0", next(offsets)))

    return deliver


@pytest.fixture
def someone(issuer: TestIssuer) -> Caller:
    return caller(issuer, "participant")
