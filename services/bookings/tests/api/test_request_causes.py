"""Requests combined into one save (group commit) keep their own cause: each booking's events name the user
who asked and that request's correlation id — not those of the writer that saved the batch.
The audit log reads who did what from exactly these fields."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from authkit.testing import caller
from spine.relay import envelope_of

from bookings_service import public
from bookings_service.testing import event_created

pytestmark = pytest.mark.api

URL = "/api/v1/bookings/"


def test_batched_requests_each_carry_their_own_actor_and_correlation_id(client, issuer, organizer, catalogue):
    created = event_created(organizer=organizer.user_id, capacity=10)
    event_id = created.payload["event_id"]
    catalogue(created)
    app = client.app.state.container.bookings
    people = [caller(issuer, "participant") for _ in range(3)]

    def book(n: int):
        headers = {**people[n].headers, "X-Correlation-ID": f"request-{n}"}
        return client.post(URL, json={"event_id": event_id}, headers=headers)

    writer = client.app.state.container.intake.writer
    plug = threading.Event()
    writer._thread.submit(plug.wait, 10)  # the writer's thread is busy: the requests wait in its queue
    before = (writer.submitted, writer.batches)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(book, n) for n in range(3)]
        deadline = time.monotonic() + 10
        while writer.submitted - before[0] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        plug.set()
        responses = [f.result() for f in futures]
    assert writer.batches - before[1] < 3  # at least two of them were saved together
    assert [r.status_code for r in responses] == [202] * 3

    for n, response in enumerate(responses):
        booking_id = UUID(response.json()["id"])
        envelopes = [e for stored in app.recorder.select_events(booking_id)
                     if (e := envelope_of(app.mapper.to_domain_event(stored), public.to_public, app.name))]
        assert [e.type for e in envelopes] == ["BookingRequested"]
        assert (envelopes[0].actor_id, envelopes[0].correlation_id) == (str(people[n].user_id), f"request-{n}")


@pytest.mark.parametrize("canceller", ["owner", "admin"])
def test_a_cancellation_continues_the_bookings_story_with_the_canceller_as_actor(client, issuer, organizer,
                                                                               catalogue, canceller):
    created = event_created(organizer=organizer.user_id, capacity=3)
    catalogue(created)
    owner = caller(issuer, "participant")
    who = owner if canceller == "owner" else caller(issuer, "admin")
    booking = client.post(URL, json={"event_id": created.payload["event_id"]},
                          headers={**owner.headers, "X-Correlation-ID": "booking-story"}).json()

    r = client.post(f"{URL}{booking['id']}/cancel", headers={**who.headers, "X-Correlation-ID": "cancel-click"})

    assert r.status_code == 200, r.text
    app = client.app.state.container.bookings
    envelopes = [e for stored in app.recorder.select_events(UUID(booking["id"]))
                 if (e := envelope_of(app.mapper.to_domain_event(stored), public.to_public, app.name))]
    assert [(e.type, e.actor_id, e.correlation_id) for e in envelopes] == [
        ("BookingRequested", str(owner.user_id), "booking-story"),
        ("BookingCancelled", str(who.user_id), "booking-story")]
