"""Errors from infrastructure (the database, a payment provider's SDK) never show their own text to a client:
each service maps them to a fixed problem detail; the original goes to the log. A lost optimistic-concurrency
race is a 409 with Retry-After (retryable, so the idempotency layer does not store it)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webkit import install_problem_handlers

from bookings_service.main import DOMAIN_ERRORS as BOOKINGS
from events_service.main import DOMAIN_ERRORS as EVENTS
from payments_service.main import DOMAIN_ERRORS as PAYMENTS
from payments_service.providers import ProviderError
from users_service.main import DOMAIN_ERRORS as USERS

pytestmark = pytest.mark.unit

DATABASE_TEXT = ('duplicate key value violates unique constraint "bookings_events_pkey"\n'
                 'DETAIL:  Key (originator_id, originator_version)=(4f0c..., 3) already exists.')
PROVIDER_TEXT = "stripe lookup failed: Invalid API Key provided: sk_live_****************abcd (req_8Yx2)"


def answer(domain_errors, error: Exception):
    app = FastAPI()
    install_problem_handlers(app, domain_errors)

    @app.post("/boom")
    def boom() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        return client.post("/boom")


@pytest.mark.parametrize("domain_errors", [USERS, EVENTS, BOOKINGS, PAYMENTS], ids=["users", "events", "bookings",
                                                                                    "payments"])
def test_a_lost_race_is_a_retryable_409_without_the_database_text(domain_errors):
    response = answer(domain_errors, IntegrityError(DATABASE_TEXT))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    for leak in ("duplicate key", "constraint", "bookings_events", "DETAIL", "originator"):
        assert leak not in response.text


def test_a_provider_failure_is_a_502_without_the_sdks_text():
    response = answer(PAYMENTS, ProviderError(PROVIDER_TEXT))
    assert response.status_code == 502 and response.headers["Retry-After"] == "5"
    for leak in ("sk_live", "req_8Yx2", "stripe lookup failed", "API Key"):
        assert leak not in response.text
