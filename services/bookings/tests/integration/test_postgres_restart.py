"""A PostgreSQL restart costs a booking client one retry, not a minute (issue 8's single writer).

The fault test saw every booking POST hang ~60 s after PostgreSQL was back: one batch of the process's single
writer sat in the pools' waits and the event store's retries, every queued request waited behind it, and each
client retry got 409 "Request in progress". Here the real server is stopped and started (deploy/postgres.sh),
and a client behaves like the fault test's: it waits a while for an answer (CLIENT_PATIENCE, far more than a
booking takes), and on 503 or no answer retries with the same Idempotency-Key.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as NoAnswer
from pathlib import Path

import psycopg
import pytest

from bookings_service.testing import event_created

pytestmark = [pytest.mark.integration, pytest.mark.disruptive(last=True),
              pytest.mark.skipif(os.environ.get("EP_INFRA") == "containers",
                                 reason="restarts the local PostgreSQL with deploy/postgres.sh")]

URL = "/api/v1/bookings/"
ROOT = Path(__file__).resolve().parents[4]
CLIENT_PATIENCE = 15.0  # seconds a client waits for one answer before it gives up and retries


def postgres(action: str) -> None:
    subprocess.run(["bash", "deploy/postgres.sh", action], cwd=ROOT, check=True, capture_output=True, timeout=180)


def requested_bookings(settings) -> dict[str, int]:
    """booking id → how many Requested events it has (each accepted booking must have exactly one)."""
    with psycopg.connect(settings.conninfo(settings.database)) as conn:
        rows = conn.execute("SELECT originator_id::text, count(*) FROM bookings_events WHERE topic LIKE %s"
                            " GROUP BY 1", ("%Booking.Requested",)).fetchall()
    return dict(rows)


@pytest.fixture
def send(client):
    """POST a booking as a client does: an answer, or None when none came within CLIENT_PATIENCE."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        def post(body: dict, headers: dict):
            future = pool.submit(client.post, URL, json=body, headers=headers)
            try:
                return future.result(timeout=CLIENT_PATIENCE)
            except NoAnswer:
                return None
        yield post


def test_bookings_fail_fast_while_postgres_is_down_and_are_accepted_right_after_it_is_back(
        client, settings, catalogue, organizer, participant, send):
    event = event_created(organizer=organizer.user_id, capacity=100)
    catalogue(event)
    body = {"event_id": str(event.payload["event_id"]), "group_size": 1}
    keyed = lambda key: {**participant.headers, "Idempotency-Key": key}  # noqa: E731
    before = send(body, keyed("before"))
    assert before is not None and before.status_code == 202, before and before.text

    postgres("down")
    try:
        # A booking asked while the database is down is refused at once: 503 with Retry-After, so the client
        # knows to come back (not a hang, not a 500), and its key is not kept as "in progress".
        during = send(body, participant.headers)
        assert during is not None, "no answer while PostgreSQL was down"
        assert during.status_code == 503 and during.headers["Retry-After"], during.text
        keyed_during = send(body, keyed("during"))
        assert keyed_during is not None and keyed_during.status_code == 503, keyed_during and keyed_during.text
    finally:
        postgres("up")

    # PostgreSQL answers again: a new booking is accepted by its first or second try.
    after, tries = None, 0
    while tries < 2 and (after is None or after.status_code != 202):
        tries += 1
        after = send(body, keyed("after"))
    assert after is not None and after.status_code == 202, after and after.text

    # The request refused during the outage runs again on its retry (not 409 "in progress"), once.
    retried = send(body, keyed("during"))
    assert retried is not None and retried.status_code == 202, retried and retried.text
    replayed = send(body, keyed("during"))
    assert replayed is not None and replayed.status_code == 202 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == retried.json()

    # Every accepted booking exists exactly once; the refused ones left nothing behind.
    accepted = {before.json()["id"], after.json()["id"], retried.json()["id"]}
    assert requested_bookings(settings) == dict.fromkeys(accepted, 1)  # this module's database is its own
