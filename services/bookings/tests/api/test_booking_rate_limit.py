"""Each user may ask for bookings at a limited rate (a token bucket per user in the bookings database):
beyond it a 429 problem with Retry-After, nothing booked; other users are unaffected; a retried request
with the same Idempotency-Key replays instead of spending another token, and a refused one is not stored."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from authkit.testing import caller

from bookings_service.main import create_app
from bookings_service.testing import event_created

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"
BURST = 3


@pytest.fixture(scope="module")
def client(settings, issuer) -> Iterator[TestClient]:
    # One token a minute after a burst of 3: a test crosses the limit with its fourth request.
    limited = settings.model_copy(update={"booking_rate_burst": BURST, "booking_rate_per_minute": 1.0})
    with TestClient(create_app(limited, verifier=issuer.verifier())) as test_client:
        yield test_client


@pytest.fixture
def event(catalogue, organizer) -> str:
    envelope = event_created(organizer=organizer.user_id, capacity=100)
    catalogue(envelope)
    return envelope.payload["event_id"]


def book(client, who, event_id, **headers):
    return client.post(URL, json={"event_id": event_id, "group_size": 1}, headers={**who.headers, **headers})


def bookings_of(client, who) -> int:
    return int(client.get(URL, headers=who.headers).headers["X-Total-Count"])


def test_a_user_beyond_the_burst_gets_a_429_problem_with_retry_after(client, issuer, event, view):
    eager = caller(issuer, "participant")
    assert [book(client, eager, event).status_code for _ in range(BURST)] == [202] * BURST
    refused = book(client, eager, event)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["title"] == "Too Many Requests" and problem["status"] == 429
    # One token a minute: the next one is due within the minute.
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 and problem["retry_after"] == retry_after
    view()
    assert bookings_of(client, eager) == BURST  # the refused request booked nothing

    # Another user's budget is their own.
    calm = caller(issuer, "participant")
    assert book(client, calm, event).status_code == 202


def test_a_replay_spends_no_token_and_a_refusal_is_not_replayed(client, issuer, event):
    user = caller(issuer, "participant")
    first = book(client, user, event, **{"Idempotency-Key": "rate-1"})
    for _ in range(BURST + 2):  # retries of the same request: replayed, never counted
        replay = book(client, user, event, **{"Idempotency-Key": "rate-1"})
        assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["id"] == first.json()["id"]
    assert [book(client, user, event).status_code for _ in range(BURST - 1)] == [202] * (BURST - 1)

    refused = book(client, user, event, **{"Idempotency-Key": "rate-2"})
    again = book(client, user, event, **{"Idempotency-Key": "rate-2"})
    assert refused.status_code == again.status_code == 429
    assert "idempotent-replayed" not in again.headers  # it ran again (and was refused again)


def test_concurrent_requests_of_one_user_get_exactly_the_burst(client, issuer, event):
    """The bucket is one row updated in place: parallel requests cannot both take its last token."""
    user = caller(issuer, "participant")
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: book(client, user, event).status_code, range(8)))
    assert statuses == [202] * BURST + [429] * (8 - BURST)
