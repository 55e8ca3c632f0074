"""The users service declared for webkit.service: `users-service` (API and worker in one process), or
`users-api` and `users-worker` (relay to users.v1, the users and roles views, the audit log) apart."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from authkit.deps import install_auth, require, token_subject
from contracts.permissions import OPS_READ
from spine.relay import Relay
from spine.worker import Worker
from webkit.problems import CONCURRENT_CHANGE, Refusal
from webkit.service import Service

from users_service import public
from users_service.api import ROUTERS
from users_service.bootstrap import Container, build
from users_service.domain import (
    AccountDisabled,
    AccountNotDisabled,
    BeyondYourPermissions,
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidRole,
    InvalidSetting,
    OwnAccountManagement,
    PasswordResetInvalid,
    RefreshTokenInvalid,
    SettingNotFound,
    UnknownRole,
    UserNotFound,
    WeakPassword,
    WrongPassword,
)
from users_service.passwords import HashingBusy
from users_service.settings import Settings

DOMAIN_ERRORS: dict[type[Exception], int | Refusal] = {
    EmailAlreadyRegistered: 409,
    UserNotFound: 404,
    SettingNotFound: 404,
    InvalidCredentials: 401,
    RefreshTokenInvalid: 401,  # includes RefreshTokenReused
    AccountDisabled: 403,
    UnknownRole: 422,
    InvalidRole: 422,
    InvalidSetting: 422,
    # Lost the optimistic-concurrency race on every retry: the client may simply try again.
    IntegrityError: CONCURRENT_CHANGE,
    HashingBusy: Refusal(503, "Too many sign-ins are being checked right now; retry in a moment.", retry_after=1,
                         title="Sign-ins busy"),
    WeakPassword: 422,
    WrongPassword: 403,
    PasswordResetInvalid: 401,
    BeyondYourPermissions: 403,
    AccountNotDisabled: 409,
    OwnAccountManagement: 409,
}

# Answers that carry tokens, or spend a refresh token, are never stored for replay: a replayed refresh would
# skip the reuse detection and keep live tokens in the idempotency table.
NOT_IDEMPOTENT = ("/api/v1/users/login", "/api/v1/users/token", "/api/v1/users/refresh", "/api/v1/users/logout",
                  "/api/v1/users/me/password", "/api/v1/users/password-reset")


def worker_parts(worker: Worker, settings: Settings, *, container: Container | None = None) -> Worker:
    """Relay the event store to users.v1; keep the admin user list, the roles and the audit log (every event
    topic) up to date. Tests pass their `container`; the worker's own seeds nothing (the api does)."""
    built = container or build(settings, seed=False)
    return (worker.add_relay(Relay(built.users, settings.topic, public.to_public, settings))
            .add_projection(built.users_view, settings.database)
            .add_projection(built.roles_view, settings.database)
            .add_projection(built.audit_log, settings.database))


SERVICE = Service("users", Settings, ROUTERS, DOMAIN_ERRORS, build, worker_parts,
                  auth=lambda app, c: install_auth(app, c.verifier(), is_revoked=c.is_revoked),
                  subject=token_subject, ops_guard=require(OPS_READ), idempotency_exclude=NOT_IDEMPOTENT)
create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()
