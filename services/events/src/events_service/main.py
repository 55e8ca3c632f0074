"""Entry points: `events-api` (HTTP) and `events-worker` (relay, seat commands, projections)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from authkit import TokenVerifier
from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from eventsourcing.persistence import IntegrityError
from contracts import topics
from contracts.permissions import OPS_READ
from fastapi import FastAPI
from spine import health
from spine.relay import Relay
from spine.worker import Worker
from webkit.app import create_app as create_web_app
from webkit.observability import configure_logging
from webkit.problems import CONCURRENT_CHANGE, Refusal

from events_service import domain, public
from events_service.api.events import router as events_router
from events_service.api.reviews import events_router as event_reviews_router
from events_service.api.reviews import router as reviews_router
from events_service.bootstrap import build, build_events
from events_service.consumers.seats import SeatsHandler
from events_service.projections.attendance import AttendanceProjection
from events_service.projections.catalogue import CatalogueProjection
from events_service.projections.payment_methods import PaymentMethodsReplica
from events_service.projections.reviews import ReviewsProjection
from events_service.settings import Settings

SERVICE = "events"

# One place maps refusals of the domain to HTTP statuses (subclasses inherit their base's status).
DOMAIN_ERRORS: dict[type[Exception], int | Refusal] = {
    domain.InvalidEventDetails: 422,
    domain.CapacityBelowSeatsTaken: 409,
    domain.PaidSwitchWithBookings: 409,
    domain.EventAlreadyCancelled: 409,
    domain.EventAlreadyStarted: 409,
    domain.NotEventOrganizer: 403,
    domain.EventNotFound: 404,
    domain.InvalidReview: 422,
    domain.NotAnAttendee: 403,
    domain.OwnReview: 403,
    domain.EventNotStartedYet: 409,
    domain.ReviewAlreadySubmitted: 409,
    domain.ReviewAlreadyModerated: 409,
    domain.ReviewNotFound: 404,
    # Lost the optimistic-concurrency race on every retry: the client may simply try again (Retry-After,
    # not stored for idempotent replay; the database's own message stays in the log).
    IntegrityError: CONCURRENT_CHANGE,
}


def create_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The events API; tests pass a fresh database in `settings` and a TestIssuer's verifier."""
    settings = settings or Settings()
    container = build(settings, verifier=verifier)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        container.close()

    app = create_web_app(SERVICE, project=settings.project_name, version="1.0.0",
                         routers=[events_router, event_reviews_router, reviews_router],
                         lifespan=lifespan, domain_errors=DOMAIN_ERRORS,
                         idempotency_conninfo=settings.conninfo(settings.database),
                         idempotency_subject=token_subject,
                         health=health.reader(settings.conninfo(settings.database)),
                         ops_guard=require(OPS_READ))
    app.state.container = container
    install_auth(app, container.verifier, is_revoked=container.disabled_users)
    return app


def build_worker(settings: Settings | None = None, *, topic: str = topics.EVENTS,
                 users_topic: str = topics.USERS, commands_topic: str = topics.EVENTS_COMMANDS,
                 bookings_topic: str = topics.BOOKINGS, payments_topic: str = topics.PAYMENTS) -> Worker:
    """Relay (event store → `topic`), seat commands from `commands_topic`, the catalogue and reviews fed from
    `topic`, disabled users from `users_topic`, who attended what from `bookings_topic`, and the payment methods
    switched on from `payments_topic`."""
    settings = settings or Settings()
    events = build_events(settings)
    disabled_users = DisabledUsersProjection(users_topic)
    return (Worker(SERVICE, settings)
            .add_relay(Relay(events, topic, public.to_public, settings, address=public.address))
            .add_handler(SeatsHandler(events, commands_topic), events)
            .add_projection(CatalogueProjection(topic), settings.database)
            .add_projection(ReviewsProjection(topic), settings.database)
            .add_projection(AttendanceProjection(bookings_topic), settings.database)
            .add_projection(PaymentMethodsReplica(payments_topic), settings.database)
            .add_projection(disabled_users, settings.database))


def run_api() -> None:
    """Serve the API on 127.0.0.1:$EVENTS_PORT (default 8102)."""
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.port, log_config=None)


def run_worker() -> None:
    """Run the relay, the seat-command handler and the projections until SIGINT/SIGTERM."""
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    build_worker(settings).run()
