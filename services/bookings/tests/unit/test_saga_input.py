"""The saga's edge: public messages become what the saga hears; the public side's conventions stop here."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from contracts import wrap
from contracts.events import EventUpdated, SeatsRejected
from contracts.payments import PaymentSucceeded
from contracts.users import UserDisabled

from bookings_service.consumers.saga_input import to_domain
from bookings_service.domain import saga_inputs as heard

pytestmark = pytest.mark.unit

EVENT, BOOKING = uuid4(), uuid4()


def envelope(message, version: int):
    return wrap(message, aggregate_id=str(EVENT), aggregate_version=version)


def test_a_seat_answer_carries_the_events_version():
    rejected = SeatsRejected(event_id=EVENT, booking_id=BOOKING, seats=2, reason="full", seats_available=0, attempt=3)
    assert to_domain(envelope(rejected, 7)) == heard.SeatsRejected(
        event_id=EVENT, booking_id=BOOKING, attempt=3, reason="full", seats_available=0, seats_version=7)


def test_an_answer_about_no_event_has_no_seat_version():
    # The events service answers for an event it does not know with aggregate version 0.
    rejected = SeatsRejected(event_id=EVENT, booking_id=BOOKING, seats=1, reason="unknown_event", seats_available=0,
                             attempt=1)
    answer = to_domain(envelope(rejected, 0))
    assert isinstance(answer, heard.SeatsRejected) and answer.seats_version is None and not answer.is_full


@pytest.mark.parametrize(("changes", "capacity"), [({"max_participants": 4}, 4), ({"title": "New"}, None),
                                                   ({"max_participants": True}, None)])
def test_only_a_whole_new_maximum_is_a_capacity_change(changes, capacity):
    updated = to_domain(envelope(EventUpdated(event_id=EVENT, changes=changes, seats_available=1,
                                                updated_at=datetime.now(UTC)), 5))
    assert updated == heard.EventUpdated(event_id=EVENT, seats_available=1, capacity=capacity, seats_version=5)


def test_a_payment_outcome_keeps_what_the_booking_checks():
    paid = PaymentSucceeded(payment_id=uuid4(), booking_id=BOOKING, user_id=uuid4(), amount=Decimal("25.00"),
                            currency="EUR")
    assert to_domain(envelope(paid, 2)) == heard.PaymentSucceeded(payment_id=paid.payment_id, booking_id=BOOKING,
                                                                   amount=Decimal("25.00"), currency="EUR")


def test_messages_the_saga_does_not_use_are_nothing():
    disabled = UserDisabled(user_id=uuid4(), disabled_at="2030-01-01T00:00:00Z", reason="spam")
    assert to_domain(envelope(disabled, 1)) is None
