"""Composition root: the Users application, signing keys, read models and token verifier from one Settings.

Tests call `build()` with a fresh database and fast password hashing (`passwords`), and swap parts of the
Container it returns rather than monkeypatching.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from psycopg_pool import ConnectionPool

from authkit import Principal, TokenVerifier
from spine.db import connection_pool
from spine.eventstore import postgres_env
from spine.projector import ProjectionStore

from users_service.application import TokenPolicy, Users
from users_service.keys import KeyRing
from users_service.passwords import Passwords
from users_service.projections import AuditLog, AuditQuery, UsersQuery, UsersView
from users_service.projections.roles_view import RolesQuery, RolesView
from users_service.settings import Settings

log = logging.getLogger("users_service")


@dataclass
class Container:
    """Everything the api and worker processes of the users service share, built once and closed on shutdown."""

    settings: Settings
    users: Users
    keys: KeyRing
    pool: ConnectionPool
    users_view: UsersView
    users_query: UsersQuery
    roles_view: RolesView
    roles_query: RolesQuery
    audit_log: AuditLog
    audit_query: AuditQuery

    def verifier(self) -> TokenVerifier:
        """Verifies tokens with this service's own keys (no HTTP call to itself)."""
        return TokenVerifier(jwks=self.keys.jwks(), issuer=self.settings.token_issuer,
                             audience=self.settings.token_audience)

    def is_revoked(self, principal: Principal) -> bool:
        """The users service asks the account itself, so a disable or demotion takes effect on the next request."""
        return self.users.is_revoked(principal.user_id, principal.user_version, principal.role,
                                     principal.role_version)

    def close(self) -> None:
        self.pool.close()
        self.users.close()


def token_policy(settings: Settings) -> TokenPolicy:
    """Token lifetimes and audience from the settings."""
    return TokenPolicy(access_ttl=timedelta(minutes=settings.access_token_expire_minutes),
                       refresh_ttl=timedelta(days=settings.refresh_token_expire_days),
                       reset_ttl=timedelta(minutes=settings.password_reset_expire_minutes),
                       issuer=settings.token_issuer, audience=settings.token_audience)


def build(settings: Settings | None = None, *, seed: bool = True, passwords: Passwords | None = None
          ) -> Container:
    """Wire the users service against `settings.database`; seeds roles and the first admin when `seed`."""
    settings = settings or Settings()
    if settings.secret_key.get_secret_value() == "change_me":
        log.warning("SECRET_KEY is the default; set it before running anywhere but a laptop")
    conninfo = settings.conninfo(settings.database)
    keys = KeyRing(conninfo, settings.secret_key.get_secret_value(), settings.algorithm).load()
    passwords = passwords or Passwords(workers=settings.password_hash_workers, queue=settings.password_hash_queue)
    users = Users(postgres_env(settings.database, settings), keys=keys, passwords=passwords,
                  policy=token_policy(settings))
    users_view, roles_view = UsersView(settings.topic), RolesView(settings.topic)
    audit_log = AuditLog(settings.audit_event_topics())
    for projection in (users_view, roles_view, audit_log):
        ProjectionStore(conninfo).setup(projection)  # the API can query lists before the worker's first message
    if seed:
        users.seed(settings.admin_email, settings.admin_password.get_secret_value())
    pool = connection_pool(settings.database, settings, max_size=5)
    return Container(settings=settings, users=users, keys=keys, pool=pool,
                     users_view=users_view, users_query=UsersQuery(pool),
                     roles_view=roles_view, roles_query=RolesQuery(pool),
                     audit_log=audit_log, audit_query=AuditQuery(pool))
