"""Composition root: the database pool, read stores and token verifier of the api process.

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

from notifications_service.application import Support
from notifications_service.projections.support_threads import SupportThreadsView
from notifications_service.projections.views import all_views
from notifications_service.settings import Settings
from notifications_service.storage.inbox import Inbox
from notifications_service.storage.mailing_store import MailingStore
from notifications_service.storage.mailings import ensure_mailing_tables
from notifications_service.storage.preferences_store import Preferences
from notifications_service.storage.schema import ensure_schema
from notifications_service.storage.support_threads import SupportThreads


@dataclass
class Container:
    """Everything the api process needs, built once and closed on shutdown."""

    settings: Settings
    pool: ConnectionPool
    inbox: Inbox
    preferences: Preferences
    verifier: TokenVerifier
    disabled_users: DisabledUsers
    mailings: MailingStore
    support: Support
    support_threads: SupportThreads

    def close(self) -> None:
        self.pool.close()
        self.support.close()


def ensure_tables(settings: Settings) -> None:
    """Create the outbox, preferences and read-model tables, so the api answers before the worker first runs."""
    conninfo = settings.conninfo(settings.database)
    ensure_schema(conninfo)
    ensure_mailing_tables(conninfo)
    store = ProjectionStore(conninfo)
    for projection in (*all_views(), DisabledUsersProjection(), SupportThreadsView()):
        store.setup(projection)


def build_support(settings: Settings) -> Support:
    """The support threads' event store application, in the service's own database (tables support_*)."""
    return Support(env=postgres_env(settings.database, settings))


def build(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> Container:
    """Wire the api process's parts."""
    settings = settings or Settings()
    ensure_tables(settings)
    pool = connection_pool(settings.database, settings)
    verifier = verifier or TokenVerifier(settings.auth_jwks_url, issuer=settings.auth_issuer,
                                         audience=settings.auth_audience)
    return Container(settings=settings, pool=pool, inbox=Inbox(pool), preferences=Preferences(pool), verifier=verifier,
                     disabled_users=DisabledUsers(pool), mailings=MailingStore(pool),
                     support=build_support(settings), support_threads=SupportThreads(pool))
