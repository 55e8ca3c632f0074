"""Composition root: builds the event store application, read stores and token verifier from Settings.

Tests call `build()` with a fresh database and a TestIssuer's verifier instead of the real JWKS.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from authkit import TokenVerifier
from authkit.revocation import DisabledUsers, DisabledUsersProjection
from spine.db import connection_pool
from spine.eventstore import postgres_env
from spine.projector import ProjectionStore

from events_service.application import Events
from events_service.projections.attendance import Attendance, AttendanceProjection
from events_service.projections.catalogue import CatalogueProjection
from events_service.projections.catalogue_query import Catalogue
from events_service.projections.lease_use import LeaseUse, LeaseUseProjection
from events_service.projections.payment_methods import EnabledPaymentMethods, PaymentMethodsReplica
from events_service.projections.reviews import ReviewsProjection
from events_service.projections.reviews_query import Reviews
from events_service.settings import Settings


@dataclass
class Container:
    """Everything the api process needs, built once and closed on shutdown."""

    settings: Settings
    events: Events
    pool: ConnectionPool
    catalogue: Catalogue
    verifier: TokenVerifier
    disabled_users: DisabledUsers
    reviews: Reviews
    attendance: Attendance
    payment_methods: EnabledPaymentMethods
    lease_use: LeaseUse

    def close(self) -> None:
        self.pool.close()
        self.events.close()


def build_events(settings: Settings) -> Events:
    """The event store application in the service's own database."""
    return Events(env=postgres_env(settings.database, settings))


def ensure_read_models(settings: Settings) -> None:
    """Create the read-model tables, so the api answers (with empty lists) before the worker first runs."""
    store = ProjectionStore(settings.conninfo(settings.database))
    for projection in (CatalogueProjection(), DisabledUsersProjection(), ReviewsProjection(), AttendanceProjection(),
                       PaymentMethodsReplica(), LeaseUseProjection()):
        store.setup(projection)


def build(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> Container:
    """Wire the api process's parts."""
    settings = settings or Settings()
    ensure_read_models(settings)
    pool = connection_pool(settings.database, settings)
    verifier = verifier or TokenVerifier(settings.auth_jwks_url, issuer=settings.auth_issuer,
                                         audience=settings.auth_audience)
    return Container(settings=settings, events=build_events(settings), pool=pool, catalogue=Catalogue(pool),
                     verifier=verifier, disabled_users=DisabledUsers(pool), reviews=Reviews(pool),
                     attendance=Attendance(pool), payment_methods=EnabledPaymentMethods(pool),
                     lease_use=LeaseUse(pool))
