"""Test support for this service's tests (and e2e suites): feeding views and triggers without Kafka."""

from __future__ import annotations

from collections.abc import Iterable

from contracts import Envelope
from spine.projector import SqlProjection, apply_in_transaction
from webkit.testing import assert_problem  # noqa: F401 - re-exported for the notifications tests

from notifications_service.projections.views import all_views


def feed(conninfo: str, envelopes: Iterable[Envelope], projections: Iterable[SqlProjection] | None = None) -> None:
    """Apply public messages to the local views (and any other projections given), as the worker would."""
    envelopes = list(envelopes)
    for projection in projections if projections is not None else all_views():
        apply_in_transaction(conninfo, projection, envelopes)
