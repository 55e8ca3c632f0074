"""Composition root: the Users application, signing keys, read models and token verifier from one Settings."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class UsersService:
    """Everything the API and worker of the users service share."""

    settings: Settings
    app: Users
    keys: KeyRing
    pool: ConnectionPool
    users_view: UsersView
    users_query: UsersQuery
    audit_log: AuditLog
    audit_query: AuditQuery
    roles_view: RolesView = field(default_factory=RolesView)
    roles_query: RolesQuery | None = None

    def verifier(self) -> TokenVerifier:
        """Verifies tokens with this service's own keys (no HTTP call to itself)."""
        return TokenVerifier(jwks=self.keys.jwks(), issuer=self.settings.token_issuer,
                             audience=self.settings.token_audience)

    def is_revoked(self, principal: Principal) -> bool:
        """The users service asks the account itself, so a disable or demotion takes effect on the next request."""
        return self.app.is_revoked(principal.user_id, principal.user_version, principal.role, principal.role_version)

    def close(self) -> None:
        self.pool.close()
        self.app.close()


def bootstrap(settings: Settings | None = None, *, seed: bool = True, passwords: Passwords | None = None
              ) -> UsersService:
    """Build the users service against `settings.database`; seeds roles and the first admin when `seed`."""
    s = settings or Settings()
    conninfo = s.conninfo(s.database)
    keys = KeyRing(conninfo, s.secret_key.get_secret_value(), s.algorithm).load()
    policy = TokenPolicy(access_ttl=timedelta(minutes=s.access_token_expire_minutes),
                         refresh_ttl=timedelta(days=s.refresh_token_expire_days),
                         reset_ttl=timedelta(minutes=s.password_reset_expire_minutes),
                         issuer=s.token_issuer, audience=s.token_audience)
    passwords = passwords or Passwords(workers=s.password_hash_workers, queue=s.password_hash_queue)
    app = Users(postgres_env(s.database, s), keys=keys, passwords=passwords, policy=policy)
    view, roles, audit_log = UsersView(s.topic), RolesView(s.topic), AuditLog(s.audit_event_topics())
    for projection in (view, roles, audit_log):
        ProjectionStore(conninfo).setup(projection)  # the API can query lists before the worker's first message
    if seed:
        app.seed(s.admin_email, s.admin_password.get_secret_value())
    pool = connection_pool(s.database, s, max_size=5)
    return UsersService(settings=s, app=app, keys=keys, pool=pool, users_view=view, users_query=UsersQuery(pool),
                        audit_log=audit_log, audit_query=AuditQuery(pool), roles_view=roles,
                        roles_query=RolesQuery(pool))
