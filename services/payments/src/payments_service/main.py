"""Entry points: `payments-api` (HTTP) and `payments-worker` (relay, saga commands, read models, reconciler)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from authkit import TokenVerifier
from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from spine import health
from spine.db import connection_pool
from spine.relay import Relay
from spine.settings import load_settings
from spine.worker import Worker
from webkit.app import create_app as create_web_app
from webkit.observability import configure_logging
from webkit.problems import CONCURRENT_CHANGE, Refusal

from payments_service import domain, public
from payments_service.api.payments import router as payments_router
from payments_service.api.webhooks import router as webhooks_router
from payments_service.api.webhooks import sandbox_router
from payments_service.bootstrap import build, build_payments, build_reconciler
from payments_service.consumers.commands import PaymentCommands
from payments_service.projections.payments_view import PaymentsView
from payments_service.providers import (
    InvalidWebhookSignature, ProviderError, ProviderNotEnabled, ProviderRefused, Providers, UntrustedWebhookSource,
    WebhookRejected, WebhooksNotSupported,
)
from payments_service.settings import Settings
from payments_service.webhooks import NotSandboxPayment

SERVICE = "payments"

# One place maps refusals to HTTP statuses (subclasses inherit their base's status).
DOMAIN_ERRORS: dict[type[Exception], int | Refusal] = {
    domain.InvalidPaymentRequest: 422,
    ProviderNotEnabled: 422,  # a payment method this deployment does not offer
    domain.PaymentNotPending: 409,
    domain.PaymentNotRefundable: 409,
    domain.NotOfflinePayment: 409,
    domain.InsufficientBalance: 409,
    NotSandboxPayment: 409,
    domain.NotPaymentOwner: 403,
    domain.OwnPaymentConfirmation: 403,
    domain.NotEventOrganizer: 403,
    domain.PaymentNotFound: 404,
    WebhookRejected: 400,
    InvalidWebhookSignature: 401,
    UntrustedWebhookSource: 403,
    WebhooksNotSupported: 404,
    # The provider SDK's message can carry request ids or key fragments: the client gets a fixed text.
    ProviderError: Refusal(502, "The payment provider did not answer as expected; try again later.", retry_after=5,
                           title="Payment provider unavailable"),
    ProviderRefused: Refusal(502, "The payment provider refused the request.", retry_after=None,
                             title="Payment provider refused"),
    # Lost the optimistic-concurrency race on every retry: the client may simply try again (Retry-After,
    # not stored for idempotent replay; the database's own message stays in the log).
    IntegrityError: CONCURRENT_CHANGE,
}


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None,
               providers: Providers | None = None) -> FastAPI:
    """The payments API; tests pass a fresh database in `settings`, a TestIssuer's verifier, maybe providers."""
    settings = settings or Settings()
    settings.check_startup()
    container = build(settings, verifier=verifier, providers=providers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        container.close()

    # /balance and /webhooks/... are declared before /{payment_id} so they are not read as ids.
    routers = [payments_router, webhooks_router, *([sandbox_router] if settings.sandbox_on else [])]
    app = create_web_app(SERVICE, project=settings.project_name, version="1.0.0", routers=routers,
                         lifespan=lifespan, domain_errors=DOMAIN_ERRORS,
                         idempotency_conninfo=settings.conninfo(settings.database),
                         idempotency_subject=token_subject,
                         health=health.reader(settings.conninfo(settings.database)),
                         ops_guard=require(OPS_READ))
    app.state.container = container
    install_auth(app, container.verifier, is_revoked=container.disabled_users)
    return app


def build_worker(settings: Settings | None = None, *, topic: str = topics.PAYMENTS,
                 commands_topic: str = topics.PAYMENTS_COMMANDS, users_topic: str = topics.USERS,
                 reconcile: bool = True, providers: Providers | None = None) -> Worker:
    """Relay (event store → `topic`), the saga's commands from `commands_topic`, payments_view from `topic`,
    disabled users from `users_topic`, and the stuck-payment reconciler. Tests may pass their `providers`."""
    settings = settings or Settings()
    pool = connection_pool(settings.database, settings, max_size=4)
    payments = build_payments(settings, pool, providers)
    # The events service learns from payments.v1 which methods an event may advertise (domain/methods.py).
    payments.announce_methods()
    disabled_users = DisabledUsersProjection(users_topic)
    worker = (Worker(SERVICE, settings)
              .add_relay(Relay(payments, topic, public.to_public, settings))
              .add_handler(PaymentCommands(payments, commands_topic), payments)
              .add_projection(PaymentsView(topic), settings.database)
              .add_projection(disabled_users, settings.database))
    if reconcile:
        worker.add_timer(settings.reconcile_interval_seconds, build_reconciler(settings, payments, pool))
    return worker


def run_api() -> None:
    """Serve the API on $API_HOST:$PAYMENTS_PORT (default 127.0.0.1:8104)."""
    settings = load_settings(Settings)
    configure_logging(SERVICE, settings.log_level)
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.port, log_config=None)


def run_worker() -> None:
    """Run the relay, command handler, projections and reconciler until SIGINT/SIGTERM."""
    settings = load_settings(Settings)
    configure_logging(SERVICE, settings.log_level)
    build_worker(settings).run()
