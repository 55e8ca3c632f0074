"""Test support for this service's tests (and e2e suites): a relay without Kafka."""

from __future__ import annotations

from spine.projector import apply_in_transaction

from events_service import public
from events_service.application import Events
from events_service.projections.catalogue import CatalogueProjection


def feed_catalogue(events: Events, conninfo: str) -> int:
    """What relay + projector do, without Kafka: every stored event → public envelope → catalogue.

    Re-running it re-delivers everything, which must change nothing. Returns how many messages it applied.
    """
    notifications = events.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    envelopes = [public.to_envelope(events.mapper.to_domain_event(n), events.name) for n in notifications]
    envelopes = [e for e in envelopes if e is not None]
    apply_in_transaction(conninfo, CatalogueProjection(), envelopes)
    return len(envelopes)
