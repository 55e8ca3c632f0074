"""A booking committed whose answer was lost (the database connection broke after COMMIT: 503, the
idempotency layer keeps no answer) is found again by the client's retry with the same Idempotency-Key,
instead of becoming a second booking."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import psycopg
import pytest

from authkit.testing import caller
from webkit.testing import assert_problem as problem

from bookings_service.testing import event_created

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def stored_bookings_of(settings, booking_ids: set[str] | None = None) -> int:
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        rows = conn.execute("SELECT originator_id FROM bookings_events WHERE topic LIKE %s",
                            ("%Booking.Requested",)).fetchall()
    return len([r for r in rows if booking_ids is None or str(r[0]) in booking_ids])


@contextmanager
def connection_lost_after_commit(client) -> Iterator[list[str]]:
    """The writer's next batch commits, then its connection breaks before anyone hears: the route answers 503.
    Yields the ids of the bookings that batch committed."""
    writer = client.app.state.container.intake.writer
    apply, committed = writer._apply, []

    def commit_then_break(commands):
        results = apply(commands)
        committed.extend(str(r.id) for r in results if not isinstance(r, BaseException))
        writer._apply = apply
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    writer._apply = commit_then_break
    try:
        yield committed
    finally:
        writer._apply = apply


@pytest.fixture
def free_event(catalogue, organizer):
    envelope = event_created(organizer=organizer.user_id, capacity=5)
    catalogue(envelope)
    return envelope.payload


def test_a_retry_after_a_503_that_committed_gets_the_same_booking(client, settings, issuer, free_event):
    user = caller(issuer, "participant")
    headers = {**user.headers, "Idempotency-Key": str(uuid4())}
    body = {"event_id": free_event["event_id"], "group_size": 2}
    with connection_lost_after_commit(client) as committed:
        lost = client.post(URL, json=body, headers=headers)
    problem(lost, 503)
    assert lost.headers["Retry-After"] == "1" and len(committed) == 1  # written, though the client heard 503

    retry = client.post(URL, json=body, headers=headers)
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == committed[0] and "Idempotent-Replayed" not in retry.headers
    assert retry.json()["group_size"] == 2 and retry.json()["user_id"] == str(user.user_id)
    assert stored_bookings_of(settings, {committed[0]}) == 1
    again = client.post(URL, json=body, headers=headers)  # now the answer is stored: a plain replay
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == committed[0]


def test_the_same_key_after_a_503_with_another_request_is_422_and_books_nothing(client, settings, issuer,
                                                                                 free_event):
    user = caller(issuer, "participant")
    headers = {**user.headers, "Idempotency-Key": str(uuid4())}
    with connection_lost_after_commit(client):
        problem(client.post(URL, json={"event_id": free_event["event_id"], "group_size": 1}, headers=headers), 503)
    before = stored_bookings_of(settings)
    other = client.post(URL, json={"event_id": free_event["event_id"], "group_size": 3}, headers=headers)
    assert problem(other, 422)["title"] == "Idempotency-Key reused"
    assert stored_bookings_of(settings) == before


def test_without_a_key_each_request_is_its_own_booking_and_keys_are_per_user(client, settings, issuer,
                                                                             free_event):
    user, other = caller(issuer, "participant"), caller(issuer, "participant")
    body = {"event_id": free_event["event_id"], "group_size": 1}
    plain = [client.post(URL, json=body, headers=user.headers).json()["id"] for _ in range(2)]
    assert plain[0] != plain[1]
    key = {"Idempotency-Key": "same-key"}
    mine = client.post(URL, json=body, headers={**user.headers, **key}).json()["id"]
    theirs = client.post(URL, json=body, headers={**other.headers, **key}).json()["id"]
    assert mine != theirs and stored_bookings_of(settings, {mine, theirs}) == 2
