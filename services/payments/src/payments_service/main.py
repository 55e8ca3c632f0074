"""The payments service declared for webkit.service: `payments-service` (API and worker in one process), or
`payments-api` and `payments-worker` (relay, saga commands, read models, reconciler) apart."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter

from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from spine.db import connection_pool
from spine.relay import Relay
from spine.worker import Worker
from webkit.problems import CONCURRENT_CHANGE, Refusal
from webkit.service import Service

from payments_service import domain, public
from payments_service.api.payments import router as payments_router
from payments_service.api.webhooks import router as webhooks_router
from payments_service.api.webhooks import sandbox_router
from payments_service.bootstrap import build, build_payments, build_reconciler
from payments_service.consumers.commands import PaymentCommands
from payments_service.projections.payments_view import PaymentsView
from payments_service.provider_webhooks import NotSandboxPayment
from payments_service.providers import (
    InvalidWebhookSignature,
    ProviderError,
    ProviderNotEnabled,
    ProviderRefused,
    Providers,
    UntrustedWebhookSource,
    WebhookRejected,
    WebhooksNotSupported,
)
from payments_service.settings import Settings

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


def routers(settings: Settings) -> list[APIRouter]:
    """/balance and /webhooks/... are declared before /{payment_id} so they are not read as ids."""
    return [payments_router, webhooks_router, *([sandbox_router] if settings.sandbox_on else [])]


def worker_parts(worker: Worker, settings: Settings, *, topic: str = topics.PAYMENTS,
                 commands_topic: str = topics.PAYMENTS_COMMANDS, users_topic: str = topics.USERS,
                 reconcile: bool = True, providers: Providers | None = None) -> Worker:
    """Relay (event store → `topic`), the saga's commands from `commands_topic`, payments_view from `topic`,
    disabled users from `users_topic`, and the stuck-payment reconciler. Tests may pass their `providers`."""
    pool = connection_pool(settings.database, settings, max_size=4)
    payments = build_payments(settings, pool, providers)
    # The events service learns from payments.v1 which methods an event may advertise (domain/methods.py).
    payments.announce_methods()
    worker = (worker.add_relay(Relay(payments, topic, public.to_public, settings))
              .add_handler(PaymentCommands(payments, commands_topic), payments)
              .add_projection(PaymentsView(topic), settings.database)
              .add_projection(DisabledUsersProjection(users_topic), settings.database))
    if reconcile:
        worker.add_timer(settings.reconcile_interval_seconds, build_reconciler(settings, payments, pool))
    return worker


SERVICE = Service(
    "payments", Settings, routers, DOMAIN_ERRORS, build, worker_parts,
    auth=lambda app, c: install_auth(app, c.verifier, is_revoked=c.disabled_users),
    subject=token_subject, ops_guard=require(OPS_READ))
create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()
