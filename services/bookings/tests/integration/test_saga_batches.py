"""A whole partition batch in one transaction: same outcome as one by one, each event keeps the cause of
the message that led to it, and replaying the batch changes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from authkit.testing import caller
from contracts.events import SeatsRejected, SeatsReleased, SeatsReserved
from spine.eventstore import cause_of

from bookings_service.consumers.saga import SagaHandler
from bookings_service.testing import event_created, seat_message

pytestmark = pytest.mark.integration

URL = "/api/v1/bookings/"


def test_a_batch_of_seat_answers_is_applied_at_once_with_each_messages_cause(client, issuer, organizer, catalogue):
    created = event_created(organizer=organizer.user_id, capacity=2)
    event_id = created.payload["event_id"]
    catalogue(created)
    people = [caller(issuer, "participant") for _ in range(3)]
    bookings = [client.post(URL, json={"event_id": event_id}, headers=p.headers).json() for p in people]
    batch = [
        seat_message(SeatsReserved(event_id=event_id, booking_id=bookings[0]["id"], seats=1, seats_available=1), 2),
        seat_message(SeatsRejected(event_id=event_id, booking_id=bookings[1]["id"], seats=1, reason="full",
                                   seats_available=0), 3),
        seat_message(SeatsRejected(event_id=event_id, booking_id=bookings[2]["id"], seats=1, reason="full",
                                   seats_available=0), 4),
        seat_message(SeatsReleased(event_id=event_id, booking_id=bookings[0]["id"], seats=1, seats_available=1), 5),
    ]
    batch = [e.model_copy(update={"correlation_id": f"corr-{i}"}) for i, e in enumerate(batch)]
    container = client.app.state.container
    app = container.bookings
    handler = SagaHandler(app, live_booking_ids=container.query.live_booking_ids, rules=container.rules.current)
    tracking = Tracking(f"test:{uuid4()}", 41)
    handler.handle_batch(batch, tracking)

    statuses = [client.get(f"{URL}{b['id']}", headers=p.headers).json() for b, p in zip(bookings, people,
                                                                                         strict=True)]
    assert [s["status"] for s in statuses] == ["confirmed", "pending", "waitlisted"]
    assert statuses[2]["waitlist_position"] == 1
    promoted = app.get_booking(bookings[1]["id"])
    assert promoted.attempt == 2
    events = list(app.events.get(promoted.id))
    assert [type(e).__name__ for e in events] == ["Requested", "SeatsRequested", "Waitlisted", "Promoted"]
    assert [cause_of(e).get("correlation_id") for e in events[2:]] == ["corr-1", "corr-3"]
    assert cause_of(events[2])["causation_id"] == str(batch[1].event_id)

    # The same batch again (a redelivery at new offsets): the saga's state says it is all done already.
    before = app.recorder.max_notification_id()
    handler.handle_batch(batch, Tracking(tracking.application_name, 42))
    assert app.recorder.max_notification_id() == before
