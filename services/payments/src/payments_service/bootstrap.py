"""Composition root: builds the providers, the event store application, read stores and token verifier.

Tests call `build()` with a fresh database and a TestIssuer's verifier instead of the real JWKS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from psycopg_pool import ConnectionPool

from authkit import TokenVerifier
from authkit.revocation import DisabledUsers, DisabledUsersProjection
from spine.db import connection_pool
from spine.eventstore import postgres_env
from spine.projector import ProjectionStore

from payments_service.application import Payments
from payments_service.projections.payments_query import PaymentsQuery
from payments_service.projections.payments_view import PaymentsView
from payments_service.provider_webhooks import ProviderWebhooks
from payments_service.providers import PaymentProvider, Providers
from payments_service.providers.offline import BalanceProvider, CashProvider
from payments_service.providers.sandbox import SandboxProvider
from payments_service.providers.sandbox_ledger import PostgresLedger
from payments_service.settings import Settings
from payments_service.timers.reconciler import Reconciler


@dataclass
class Container:
    """Everything the api process needs, built once and closed on shutdown."""

    settings: Settings
    payments: Payments
    webhooks: ProviderWebhooks  # provider webhooks and the sandbox's pay-now (provider_webhooks.py)
    pool: ConnectionPool
    query: PaymentsQuery
    verifier: TokenVerifier
    disabled_users: DisabledUsers

    def close(self) -> None:
        self.pool.close()
        self.payments.close()


def build_providers(settings: Settings, pool: ConnectionPool) -> Providers:
    """The providers this deployment configured."""
    enabled: list[PaymentProvider] = [CashProvider(), BalanceProvider()]
    if settings.sandbox_on:
        ledger = PostgresLedger(pool)
        ledger.create_schema()
        enabled.append(SandboxProvider(settings.sandbox_webhook_secret, ledger,
                                       tolerance_seconds=settings.webhook_tolerance_seconds))
    if settings.stripe_api_key and settings.stripe_webhook_secret:
        from payments_service.providers.stripe_provider import StripeProvider
        enabled.append(StripeProvider(settings.stripe_api_key, settings.stripe_webhook_secret,
                                      tolerance_seconds=settings.webhook_tolerance_seconds))
    if settings.yookassa_account_id and settings.yookassa_secret_key:
        from payments_service.providers.yookassa_provider import YooKassaProvider
        enabled.append(YooKassaProvider(settings.yookassa_account_id, settings.yookassa_secret_key,
                                        settings.yookassa_return_url, settings.yookassa_trusted_networks))
    return Providers(enabled, card_provider=settings.card_provider)


def build_payments(settings: Settings, pool: ConnectionPool, providers: Providers | None = None) -> Payments:
    """The event store application in the service's own database, with its providers (tests may pass theirs)."""
    return Payments(env=postgres_env(settings.database, settings),
                    providers=providers or build_providers(settings, pool),
                    cash_top_up_max=settings.cash_top_up_max)


def ensure_read_models(settings: Settings) -> None:
    """Create the read-model tables, so the api answers (with empty lists) before the worker first runs."""
    store = ProjectionStore(settings.conninfo(settings.database))
    for projection in (PaymentsView(), DisabledUsersProjection()):
        store.setup(projection)


def build_reconciler(settings: Settings, payments: Payments, pool: ConnectionPool) -> Reconciler:
    """The stuck-payment timer's work."""
    return Reconciler(payments, PaymentsQuery(pool), after=timedelta(minutes=settings.reconcile_after_minutes))


def build(settings: Settings | None = None, *, verifier: TokenVerifier | None = None,
          providers: Providers | None = None) -> Container:
    """Wire the api process's parts (tests may pass their `providers`)."""
    settings = settings or Settings()
    ensure_read_models(settings)
    pool = connection_pool(settings.database, settings)
    payments = build_payments(settings, pool, providers)
    verifier = verifier or TokenVerifier(settings.auth_jwks_url, issuer=settings.auth_issuer,
                                         audience=settings.auth_audience)
    return Container(settings=settings, payments=payments, webhooks=ProviderWebhooks(payments),
                     pool=pool, query=PaymentsQuery(pool), verifier=verifier, disabled_users=DisabledUsers(pool))
