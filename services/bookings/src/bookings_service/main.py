"""Entry points: `bookings-api` (HTTP) and `bookings-worker` (saga, relays, projections, deadlines timer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from authkit import TokenVerifier
from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from spine import health
from spine.relay import Relay
from spine.worker import Worker
from webkit.app import create_app as create_web_app
from webkit.observability import configure_logging
from webkit.problems import CONCURRENT_CHANGE, Refusal

from bookings_service import domain, public
from bookings_service.api.bookings import router as bookings_router
from bookings_service.api.box_office import router as box_office_router
from bookings_service.bootstrap import build
from bookings_service.consumers.deadlines import Deadlines
from bookings_service.consumers.lease_sweep import LeaseSweep
from bookings_service.consumers.saga import SagaHandler
from bookings_service.projections.bookings_view import BookingsView
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.projections.payments_ledger import PaymentsLedger
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.projections.users_directory import UsersDirectory
from bookings_service.settings import Settings
from bookings_service.stuck import StuckSagas

SERVICE = "bookings"

# One place maps refusals of the domain to HTTP statuses (subclasses inherit their base's status).
DOMAIN_ERRORS: dict[type[Exception], int | Refusal] = {
    domain.EventNotFound: 404,
    domain.BookingNotFound: 404,
    domain.EventNotBookable: 409,
    domain.InvalidBookingRequest: 422,
    domain.BookingNotCancellable: 409,
    domain.NotBookingOwner: 403,
    domain.TooManySeatsForUser: 409,
    domain.TooManyPendingPayments: 429,
    # Lost the optimistic-concurrency race on every retry: the client may simply try again (Retry-After,
    # not stored for idempotent replay; the database's own message stays in the log).
    IntegrityError: CONCURRENT_CHANGE,
}


@dataclass(frozen=True)
class Topics:
    """Where the worker reads and writes; tests pass throwaway topics."""

    bookings: str = topics.BOOKINGS
    events: str = topics.EVENTS
    payments: str = topics.PAYMENTS
    users: str = topics.USERS
    events_commands: str = topics.EVENTS_COMMANDS
    payments_commands: str = topics.PAYMENTS_COMMANDS


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The bookings API; tests pass a fresh database in `settings` and a TestIssuer's verifier."""
    settings = settings or Settings()
    container = build(settings, verifier=verifier)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        container.close()

    app = create_web_app(SERVICE, project=settings.project_name, version="1.0.0",
                         routers=[bookings_router, box_office_router],
                         lifespan=lifespan, domain_errors=DOMAIN_ERRORS,
                         idempotency_conninfo=settings.conninfo(settings.database),
                         idempotency_subject=token_subject,
                         health=health.reader(settings.conninfo(settings.database)),
                         ops_guard=require(OPS_READ))
    app.state.container = container
    assert container.verifier is not None
    install_auth(app, container.verifier, is_revoked=container.disabled_users)
    return app


def build_worker(settings: Settings | None = None, *, names: Topics = Topics()) -> Worker:
    """Relays (bookings.v1 and the two command topics), the saga, the read models (with the box office's users
    directory and payments ledger) and the deadlines timer."""
    settings = settings or Settings()
    container = build(settings, with_verifier=False)
    app = container.bookings
    disabled_users = DisabledUsersProjection(names.users)
    saga = SagaHandler(app, live_booking_ids=container.query.live_booking_ids, rules=container.rules.current,
                       events_topic=names.events, payments_topic=names.payments)
    worker = (Worker(SERVICE, settings)
            .add_relay(Relay(app, names.bookings, public.to_event, settings))
            .add_relay(Relay(app, names.events_commands, public.to_seat_command, settings,
                             address=public.seat_command_address))
            .add_relay(Relay(app, names.payments_commands, public.to_payment_command, settings,
                             address=public.payment_command_address))
            .add_handler(saga, app)
            .add_projection(BookingsView(names.bookings), settings.database)
            .add_projection(CatalogueReplica(names.events), settings.database)
            .add_projection(SettingsReplica(names.users), settings.database)
            .add_projection(disabled_users, settings.database)
            .add_projection(UsersDirectory(names.users), settings.database)
            .add_projection(PaymentsLedger(names.payments), settings.database)
            .add_timer(settings.deadline_check_seconds,
                       Deadlines(app, container.query, container.rules.current,
                                 stuck_after=timedelta(seconds=settings.stuck_after_seconds)))
            .add_timer(settings.health_check_seconds,
                       StuckSagas(container.pool, timedelta(seconds=settings.stuck_after_seconds))))
    if settings.seat_leases:  # issue 8: idle leased seats go back, unanswered lease requests are asked again
        idle = timedelta(seconds=settings.lease_idle_seconds)
        worker.add_timer(settings.deadline_check_seconds, LeaseSweep(app, idle_after=idle, unanswered_after=idle))
    return worker


def run_api() -> None:
    """Serve the API on 127.0.0.1:$BOOKINGS_PORT (default 8103)."""
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.port, log_config=None)


def run_worker() -> None:
    """Run the saga, relays, projections and the deadlines timer until SIGINT/SIGTERM."""
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    build_worker(settings).run()
