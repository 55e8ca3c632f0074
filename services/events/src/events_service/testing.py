"""Test support for this service's tests (and e2e suites): callers with real tokens, a relay without Kafka."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from authkit.testing import TestIssuer
from contracts.permissions import DEFAULT_ROLES
from spine.projector import apply_in_transaction

from events_service import public
from events_service.application import Events
from events_service.projections.catalogue import CatalogueProjection


@dataclass(frozen=True)
class Caller:
    """A user of the API holding a token with one default role's permissions."""

    user_id: UUID
    role: str
    headers: dict[str, str]


def caller(issuer: TestIssuer, role: str) -> Caller:
    """A new user with `role` (a key of contracts.permissions.DEFAULT_ROLES)."""
    user_id = uuid4()
    token = issuer.token(user_id=user_id, role=role, permissions=DEFAULT_ROLES[role])
    return Caller(user_id, role, {"Authorization": f"Bearer {token}"})


def feed_catalogue(events: Events, conninfo: str) -> int:
    """What relay + projector do, without Kafka: every stored event → public envelope → catalogue.

    Re-running it re-delivers everything, which must change nothing. Returns how many messages it applied.
    """
    notifications = events.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
    envelopes = [public.to_envelope(events.mapper.to_domain_event(n), events.name) for n in notifications]
    envelopes = [e for e in envelopes if e is not None]
    apply_in_transaction(conninfo, CatalogueProjection(), envelopes)
    return len(envelopes)
