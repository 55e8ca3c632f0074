"""Internal Event and Review aggregate events → public `events.v1` messages (contracts.events).

The only module that knows both languages: the relay publishes what `to_public` returns, so the
aggregate can be refactored without breaking consumers. Seat answers are published keyed by the
event id; for an event that does not exist (`UnknownEventAnswers`) `address` gives that id too.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts import Envelope
from contracts.events import (
    EventCancelled,
    EventCreated,
    EventUpdated,
    LeasedSeatsReturned,
    LeaseRefused,
    ReviewApproved,
    ReviewRejected,
    ReviewSubmitted,
    SeatsLeased,
    SeatsRejected,
    SeatsReleased,
    SeatsReserved,
)
from spine.relay import envelope_of

from events_service.domain import Event, Review, UnknownEventAnswers


@singledispatch
def to_public(domain_event: Any) -> BaseModel | None:
    """The public payload for an internal event, or None when it is not published."""
    return None


@to_public.register
def _scheduled(e: Event.Scheduled) -> EventCreated:
    return EventCreated(**e.details, event_id=e.originator_id, created_by=e.created_by, created_at=e.timestamp,
                        seats_available=e.details["max_participants"])


@to_public.register
def _updated(e: Event.Updated) -> EventUpdated:
    return EventUpdated(event_id=e.originator_id, changes=dict(e.changes), seats_available=e.seats_available,
                        updated_at=e.timestamp)


@to_public.register
def _cancelled(e: Event.Cancelled) -> EventCancelled:
    return EventCancelled(event_id=e.originator_id, reason=e.reason, cancelled_at=e.timestamp)


@to_public.register
def _seats_reserved(e: Event.SeatsReserved) -> SeatsReserved:
    return SeatsReserved(event_id=e.originator_id, booking_id=e.booking_id, seats=e.seats,
                         seats_available=e.seats_available, attempt=e.attempt)


@to_public.register
def _seats_rejected(e: Event.SeatsRejected) -> SeatsRejected:
    return SeatsRejected(event_id=e.originator_id, booking_id=e.booking_id, seats=e.seats, reason=e.reason,
                         seats_available=e.seats_available, attempt=e.attempt)


@to_public.register
def _reservation_repeated(e: Event.SeatsReservationRepeated) -> SeatsReserved:
    # The answer again, for an asker that may have missed it; the saga ignores an attempt it already has.
    return SeatsReserved(event_id=e.originator_id, booking_id=e.booking_id, seats=e.seats,
                         seats_available=e.seats_available, attempt=e.attempt)


@to_public.register
def _rejection_repeated(e: Event.SeatsRejectionRepeated) -> SeatsRejected:
    return SeatsRejected(event_id=e.originator_id, booking_id=e.booking_id, seats=e.seats, reason=e.reason,
                         seats_available=e.seats_available, attempt=e.attempt)


@to_public.register
def _seats_released(e: Event.SeatsReleased) -> SeatsReleased:
    return SeatsReleased(event_id=e.originator_id, booking_id=e.booking_id, seats=e.seats,
                         seats_available=e.seats_available)


@to_public.register
def _unknown_event(e: UnknownEventAnswers.SeatsRejected) -> SeatsRejected:
    return SeatsRejected(event_id=e.event_id, booking_id=e.booking_id, seats=e.seats, reason=e.reason,
                         seats_available=0, attempt=e.attempt)


@to_public.register
def _seats_leased(e: Event.SeatsLeased) -> SeatsLeased:
    return SeatsLeased(event_id=e.originator_id, lease_id=e.lease_id, seats=e.seats, seats_leased=e.seats_leased,
                       seats_unallocated=e.seats_unallocated)


@to_public.register
def _lease_refused(e: Event.LeaseRefused) -> LeaseRefused:
    return LeaseRefused(event_id=e.originator_id, lease_id=e.lease_id, seats=e.seats, reason=e.reason)


@to_public.register
def _lease_answer_repeated(e: Event.LeaseAnswerRepeated) -> SeatsLeased | LeaseRefused:
    # The answer again, for a ledger that may have missed it; it ignores a lease it already settled.
    if e.reason is not None:
        return LeaseRefused(event_id=e.originator_id, lease_id=e.lease_id, seats=e.seats, reason=e.reason)
    return SeatsLeased(event_id=e.originator_id, lease_id=e.lease_id, seats=e.granted, seats_leased=e.seats_leased,
                       seats_unallocated=e.seats_unallocated)


@to_public.register
def _unknown_event_lease(e: UnknownEventAnswers.LeaseRefused) -> LeaseRefused:
    return LeaseRefused(event_id=e.event_id, lease_id=e.lease_id, seats=e.seats, reason=e.reason)


@to_public.register
def _leased_seats_returned(e: Event.LeasedSeatsReturned) -> LeasedSeatsReturned:
    return LeasedSeatsReturned(event_id=e.originator_id, return_id=e.return_id, seats=e.seats,
                               seats_leased=e.seats_leased, seats_unallocated=e.seats_unallocated)


@to_public.register
def _review_submitted(e: Review.Submitted) -> ReviewSubmitted:
    return ReviewSubmitted(review_id=e.originator_id, event_id=e.event_id, author_id=e.author_id, rating=e.rating,
                           comment=e.comment, submitted_at=e.timestamp)


@to_public.register
def _review_approved(e: Review.Approved) -> ReviewApproved:
    return ReviewApproved(**_decision(e))


@to_public.register
def _review_rejected(e: Review.Rejected) -> ReviewRejected:
    return ReviewRejected(**_decision(e))


def _decision(e: Any) -> dict[str, Any]:
    return dict(review_id=e.originator_id, event_id=e.event_id, author_id=e.author_id, rating=e.rating,
                moderator_id=e.moderator_id, reason=e.reason, decided_at=e.timestamp)


def address(payload: BaseModel, domain_event: Any) -> str | None:
    """For the relay: answers about an event that does not exist are keyed by the id the saga asked about.

    They go out with aggregate_version 0, so read models that keep versions never apply them to a row.
    """
    if isinstance(domain_event, (UnknownEventAnswers.SeatsRejected, UnknownEventAnswers.LeaseRefused)):
        return str(domain_event.event_id)  # what the payload carries as event_id (see their to_public)
    return None


def to_envelope(domain_event: Any, app_name: str = "Events") -> Envelope | None:
    """The envelope the relay publishes for an internal event (same deterministic event id); for tests."""
    return envelope_of(domain_event, to_public, app_name, address)
