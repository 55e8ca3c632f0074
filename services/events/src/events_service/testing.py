"""Test support for this service's tests (and e2e suites): a relay without Kafka, bookings without a broker."""

from __future__ import annotations

from contracts import Envelope
from spine.projector import apply_in_transaction

from events_service import public
from events_service.application import Events
from events_service.projections.attendance import AttendanceProjection
from events_service.projections.catalogue import CatalogueProjection
from events_service.projections.reviews import ReviewsProjection


def feed_catalogue(events: Events, conninfo: str) -> int:
    """What relay + projector do, without Kafka: every stored event → public envelope → catalogue.

    Re-running it re-delivers everything, which must change nothing. Returns how many messages it applied.
    """
    notifications = events.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    maybe = [public.to_envelope(events.mapper.to_domain_event(n), events.name) for n in notifications]
    envelopes = [e for e in maybe if e is not None]
    apply_in_transaction(conninfo, CatalogueProjection(), envelopes)
    return len(envelopes)


def feed_reviews(events: Events, conninfo: str) -> int:
    """The same for the reviews and ratings read models (relay + projector without Kafka); re-running is a no-op."""
    notifications = events.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    maybe = [public.to_envelope(events.mapper.to_domain_event(n), events.name) for n in notifications]
    envelopes = [e for e in maybe if e is not None]
    apply_in_transaction(conninfo, ReviewsProjection(), envelopes)
    return len(envelopes)


def record_bookings(conninfo: str, *envelopes: Envelope) -> None:
    """Put `bookings.v1` messages into the attendance view, as the worker's projector does from Kafka."""
    apply_in_transaction(conninfo, AttendanceProjection(), envelopes)
