"""An admin reads one paid booking's whole story in the audit log by its correlation id, across services.

A participant books a paid event (the request's X-Correlation-ID starts the story), pays in the sandbox
(a later request of its own), the booking is confirmed, then an admin refunds the payment (another
request), which cancels the booking and gives the seat back. Every public event on the topics that
carries the story's correlation id must be in the audit log once, with the right actor: the participant
for their booking and payment, the admin for the refund and what it caused. Nobody else may read it.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from contracts import topics

from e2e_support import Platform, bearer, eventually, read_topic

pytestmark = pytest.mark.e2e

PARTICIPANT_STEPS = ["BookingRequested", "SeatsReserved", "BookingAwaitingPayment", "PaymentRequested",
                     "PaymentSucceeded", "BookingConfirmed"]
ADMIN_STEPS = ["PaymentRefunded", "BookingCancelled", "SeatsReleased"]


def audit(platform: Platform, **params) -> list[dict]:
    entries: list[dict] = []
    while True:
        r = platform.http.get("/api/v1/audit", params={**params, "limit": 100, "offset": len(entries)},
                              headers=bearer(platform.admin_token()))
        assert r.status_code == 200, r.text
        entries += r.json()
        if len(entries) >= int(r.headers["X-Total-Count"]) or not r.json():
            return entries


def test_a_paid_and_refunded_booking_reads_as_one_story_with_the_right_actors(platform: Platform, system_env):
    organizer = platform.organizer()
    event = platform.create_event(organizer, seats=4, price="20.00", methods=("sandbox",))
    payer = platform.register("Paula Payer")
    platform.wait_bookable(event["id"], payer)
    story = f"e2e-story-{uuid4().hex[:12]}"

    r = platform.http.post("/api/v1/bookings/", json={"event_id": event["id"], "group_size": 1,
                                                      "payment_method": "sandbox"},
                           headers={**payer.auth, "X-Correlation-ID": story})
    assert r.status_code == 202, r.text
    held = platform.wait_status(payer, r.json()["id"], "awaiting_payment")
    platform.pay(payer, held["payment_id"], "succeeded")  # a request of its own (new correlation id)
    platform.wait_status(payer, held["id"], "confirmed")
    admin = bearer(platform.admin_token())
    refund = platform.http.post(f"/api/v1/payments/{held['payment_id']}/refund", json={"reason": "goodwill"},
                                headers={**admin, "X-Correlation-ID": f"desk-{uuid4().hex[:8]}"})
    assert refund.status_code == 200, refund.text
    platform.wait_status(payer, held["id"], "cancelled", timeout=15)
    eventually(lambda: platform.event(event["id"])["seats_available"] == 4 or None, timeout=15,
               what="the refunded seat back on sale")

    def logged() -> list[dict] | None:
        entries = audit(platform, correlation_id=story)
        return entries if {e["action"] for e in entries} >= {*PARTICIPANT_STEPS, *ADMIN_STEPS} else None

    entries = eventually(logged, timeout=20, what="the whole story in the audit log")
    admin_id = platform.http.get("/api/v1/users/me", headers=admin).json()["id"]
    for entry in entries:
        expected = admin_id if entry["action"] in ADMIN_STEPS else payer.id
        assert entry["actor_id"] == expected, entry
    assert [e["occurred_at"] for e in entries] == sorted((e["occurred_at"] for e in entries), reverse=True)
    assert {e["entity_type"] for e in entries} == {"booking", "event", "payment"}

    # Every public event carrying the story's id is there, once — nothing more, nothing less.
    bootstrap = system_env["KAFKA_BOOTSTRAP_SERVERS"]
    on_topics = {m["event_id"]: m for t in (topics.EVENTS, topics.BOOKINGS, topics.PAYMENTS, topics.USERS)
                 for m in read_topic(bootstrap, t) if m.get("correlation_id") == story}
    entries = audit(platform, correlation_id=story)
    assert sorted(e["id"] for e in entries) == sorted(on_topics)
    for entry in entries:
        assert entry["source"]["topic"] in (topics.EVENTS, topics.BOOKINGS, topics.PAYMENTS)

    # The admin's own filter finds the refund; a participant and an organizer may not read the log at all.
    mine = audit(platform, actor_id=admin_id, action="PaymentRefunded", entity_id=held["payment_id"])
    assert [e["correlation_id"] for e in mine] == [story]
    for person in (payer, organizer):
        denied = platform.http.get("/api/v1/audit", headers=person.auth)
        assert denied.status_code == 403 and denied.headers["content-type"].startswith("application/problem+json")
