"""The saga's edge: public messages from events.v1 and payments.v1 → what the saga hears (`domain.saga_inputs`).

The only module on the way in that knows both languages. It keeps what the saga decides on and settles
the public side's conventions here, so the domain never sees them: answers about an event that does not
exist come with aggregate version 0 (no seat count to order by), and only a changed `max_participants`
that is a whole number is a new capacity.
"""

from __future__ import annotations

from functools import singledispatch

from pydantic import BaseModel

from contracts import Envelope, parse_payload, payments
from contracts import events as seats

from bookings_service.domain import saga_inputs as heard
from bookings_service.domain.saga_inputs import SagaInput


def to_domain(envelope: Envelope) -> SagaInput | None:
    """What the saga hears from a message; None for types it does not use (their position still advances)."""
    message = parse_payload(envelope)
    if message is None:
        return None
    return _translate(message, _seats_version(envelope))


def _seats_version(envelope: Envelope) -> int | None:
    """The Event's version the seat count comes from; None for answers about no Event (published as 0)."""
    return envelope.aggregate_version if envelope.aggregate_version > 0 else None


@singledispatch
def _translate(message: BaseModel, version: int | None) -> SagaInput | None:
    return None


@_translate.register
def _(m: seats.SeatsReserved, version: int | None) -> SagaInput:
    return heard.SeatsReserved(event_id=m.event_id, booking_id=m.booking_id, attempt=m.attempt,
                               seats_available=m.seats_available, seats_version=version)


@_translate.register
def _(m: seats.SeatsRejected, version: int | None) -> SagaInput:
    return heard.SeatsRejected(event_id=m.event_id, booking_id=m.booking_id, attempt=m.attempt, reason=m.reason,
                               seats_available=m.seats_available, seats_version=version)


@_translate.register
def _(m: seats.SeatsReleased, version: int | None) -> SagaInput:
    return heard.SeatsReleased(event_id=m.event_id, seats_available=m.seats_available, seats_version=version)


@_translate.register
def _(m: seats.EventUpdated, version: int | None) -> SagaInput:
    capacity = m.changes.get("max_participants")
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        capacity = None  # not changed (or not a whole number: nothing the waitlist can measure against)
    return heard.EventUpdated(event_id=m.event_id, seats_available=m.seats_available, capacity=capacity,
                              seats_version=version)


@_translate.register
def _(m: seats.EventCancelled, version: int | None) -> SagaInput:
    return heard.EventCancelled(event_id=m.event_id)


@_translate.register
def _(m: seats.SeatsLeased, version: int | None) -> SagaInput:
    return heard.SeatsLeased(event_id=m.event_id, lease_id=m.lease_id, seats=m.seats)


@_translate.register
def _(m: seats.LeaseRefused, version: int | None) -> SagaInput:
    return heard.LeaseRefused(event_id=m.event_id, lease_id=m.lease_id, reason=m.reason)


@_translate.register
def _(m: seats.LeasedSeatsReturned, version: int | None) -> SagaInput:
    return heard.LeasedSeatsReturned(event_id=m.event_id, seats_unallocated=m.seats_unallocated,
                                     seats_version=version)


@_translate.register
def _(m: payments.PaymentSucceeded, version: int | None) -> SagaInput:
    return heard.PaymentSucceeded(payment_id=m.payment_id, booking_id=m.booking_id, amount=m.amount,
                                  currency=m.currency)


@_translate.register
def _(m: payments.PaymentFailed, version: int | None) -> SagaInput:
    return heard.PaymentFailed(payment_id=m.payment_id, booking_id=m.booking_id)


@_translate.register
def _(m: payments.PaymentRefunded, version: int | None) -> SagaInput:
    return heard.PaymentRefunded(payment_id=m.payment_id, booking_id=m.booking_id)
