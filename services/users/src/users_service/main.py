"""Entry points: `users-api` (uvicorn) and `users-worker` (relay to users.v1 and the users_view projection)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from authkit.deps import install_auth, require, token_subject
from contracts.permissions import OPS_READ
from spine import health
from spine.relay import Relay
from spine.settings import load_settings
from spine.worker import Worker
from users_service import public
from users_service.api import ROUTERS
from users_service.bootstrap import UsersService, bootstrap
from users_service.domain import (
    AccountDisabled, AccountNotDisabled, BeyondYourPermissions, EmailAlreadyRegistered, InvalidCredentials,
    InvalidRole, InvalidSetting, OwnAccountManagement, PasswordResetInvalid, RefreshTokenInvalid, SettingNotFound, UnknownRole,
    UserNotFound, WeakPassword, WrongPassword,
)
from users_service.passwords import HashingBusy
from users_service.settings import Settings
from webkit import CONCURRENT_CHANGE, Refusal, configure_logging, create_app as create_web_app

log = logging.getLogger("users_service")

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


def create_app(settings: Settings | None = None, *, service: UsersService | None = None) -> FastAPI:
    """The users API. Tests pass settings pointing at a fresh database (or a ready-made service)."""
    s = service.settings if service else (settings or Settings())
    s.check_startup()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = service or await run_in_threadpool(bootstrap, s)
        app.state.users = built
        install_auth(app, built.verifier(), is_revoked=built.is_revoked)
        try:
            yield
        finally:
            if service is None:
                built.close()

    if s.secret_key.get_secret_value() == "change_me":
        log.warning("SECRET_KEY is the default; set it before running anywhere but a laptop")
    return create_web_app("users", project=s.project_name, version=s.api_version, routers=ROUTERS,
                          lifespan=lifespan, domain_errors=DOMAIN_ERRORS,
                          idempotency_conninfo=s.conninfo(s.database), idempotency_subject=token_subject,
                          idempotency_exclude=NOT_IDEMPOTENT,
                          health=health.reader(s.conninfo(s.database)), ops_guard=require(OPS_READ))


def build_worker(service: UsersService) -> Worker:
    """Relay the event store to users.v1; keep the admin user list and the audit log (every event topic) up to date."""
    s = service.settings
    worker = Worker("users", s)
    worker.add_relay(Relay(service.app, s.topic, public.translate, s))
    worker.add_projection(service.users_view, s.database)
    worker.add_projection(service.roles_view, s.database)
    worker.add_projection(service.audit_log, s.database)
    return worker


def run_api() -> None:
    """`users-api`: serve on 127.0.0.1:USERS_PORT."""
    import uvicorn

    s = load_settings(Settings)
    configure_logging("users", s.log_level)
    uvicorn.run(create_app(s), host=s.api_host, port=s.port, log_config=None,
                log_level="debug" if s.debug else s.log_level.lower())


def run_worker() -> None:
    """`users-worker`: relay and projections until SIGINT/SIGTERM."""
    s = load_settings(Settings)
    configure_logging("users-worker", s.log_level)
    s.check_startup()  # before bootstrap seeds the first admin
    service = bootstrap(s)
    try:
        build_worker(service).run()
    finally:
        service.close()
