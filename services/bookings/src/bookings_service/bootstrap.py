"""Composition root: builds the event store application, read models and token verifier from Settings.

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
from webkit.rate_limit import TokenBuckets

from bookings_service.application import Bookings
from bookings_service.intake import BookingIntake
from bookings_service.projections.bookings_query import BookingsQuery
from bookings_service.projections.bookings_view import BookingsView
from bookings_service.projections.catalogue_replica import CatalogueReplica, EventTermsReader
from bookings_service.projections.payments_ledger import PaymentsLedger
from bookings_service.projections.settings_replica import RulesReader, SettingsReplica
from bookings_service.projections.users_directory import UsersDirectory
from bookings_service.settings import Settings


@dataclass
class Container:
    """Everything the api (and the worker's saga) needs, built once and closed on shutdown."""

    settings: Settings
    bookings: Bookings
    pool: ConnectionPool
    query: BookingsQuery
    terms: EventTermsReader
    rules: RulesReader
    verifier: TokenVerifier | None
    disabled_users: DisabledUsers
    booking_rate: TokenBuckets  # per user: how fast they may ask for bookings
    intake: BookingIntake  # the api's single writer of booking requests (group commit)

    def close(self) -> None:
        self.intake.close()
        self.pool.close()
        self.bookings.close()


def build_bookings(settings: Settings) -> Bookings:
    """The event store application in the service's own database."""
    return Bookings(env=postgres_env(settings.database, settings))


def ensure_read_models(settings: Settings) -> None:
    """Create the read-model tables, so the api answers (with empty lists) before the worker first runs."""
    store = ProjectionStore(settings.conninfo(settings.database))
    for projection in (BookingsView(), CatalogueReplica(), SettingsReplica(), DisabledUsersProjection(),
                       UsersDirectory(), PaymentsLedger()):
        store.setup(projection)


def build(settings: Settings | None = None, *, verifier: TokenVerifier | None = None,
          with_verifier: bool = True) -> Container:
    """Wire the parts; the worker passes with_verifier=False (it checks no tokens)."""
    settings = settings or Settings()
    ensure_read_models(settings)
    pool = connection_pool(settings.database, settings)
    if verifier is None and with_verifier:
        verifier = TokenVerifier(settings.auth_jwks_url, issuer=settings.auth_issuer, audience=settings.auth_audience)
    booking_rate = TokenBuckets(pool, "booking_rate_buckets", rate_per_second=settings.booking_rate_per_minute / 60,
                                burst=settings.booking_rate_burst).setup()
    bookings, terms, rules = build_bookings(settings), EventTermsReader(pool), RulesReader(pool)
    return Container(settings=settings, bookings=bookings, pool=pool, query=BookingsQuery(pool), terms=terms,
                     rules=rules, verifier=verifier, disabled_users=DisabledUsers(pool), booking_rate=booking_rate,
                     intake=BookingIntake(bookings, terms, rules, booking_rate, leases=settings.seat_leases))
