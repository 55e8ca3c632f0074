"""The events service declared for webkit.service: `events-service` (API and worker in one process), or
`events-api` and `events-worker` (relay, seat commands, projections) apart."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from spine.relay import Relay
from spine.worker import Worker
from webkit.problems import CONCURRENT_CHANGE, Refusal
from webkit.service import Service

from events_service import domain, public
from events_service.api.events import router as events_router
from events_service.api.reviews import events_router as event_reviews_router
from events_service.api.reviews import router as reviews_router
from events_service.bootstrap import build, build_events
from events_service.consumers.seats import SeatsHandler
from events_service.projections.attendance import AttendanceProjection
from events_service.projections.catalogue import CatalogueProjection
from events_service.projections.lease_use import LeaseUseProjection
from events_service.projections.payment_methods import PaymentMethodsReplica
from events_service.projections.reviews import ReviewsProjection
from events_service.settings import Settings

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


def worker_parts(worker: Worker, settings: Settings, *, topic: str = topics.EVENTS, users_topic: str = topics.USERS,
                 commands_topic: str = topics.EVENTS_COMMANDS, bookings_topic: str = topics.BOOKINGS,
                 payments_topic: str = topics.PAYMENTS) -> Worker:
    """Relay (event store → `topic`), seat commands from `commands_topic`, the catalogue and reviews fed from
    `topic`, disabled users from `users_topic`, who attended what and the lease ledgers' use from `bookings_topic`,
    and the payment methods switched on from `payments_topic`."""
    events = build_events(settings)
    return (worker.add_relay(Relay(events, topic, public.to_public, settings, address=public.address))
            .add_handler(SeatsHandler(events, commands_topic), events)
            .add_projection(CatalogueProjection(topic), settings.database)
            .add_projection(ReviewsProjection(topic), settings.database)
            .add_projection(AttendanceProjection(bookings_topic), settings.database)
            .add_projection(LeaseUseProjection(bookings_topic), settings.database)
            .add_projection(PaymentMethodsReplica(payments_topic), settings.database)
            .add_projection(DisabledUsersProjection(users_topic), settings.database))


SERVICE = Service(
    "events", Settings, [events_router, event_reviews_router, reviews_router], DOMAIN_ERRORS, build, worker_parts,
    auth=lambda app, c: install_auth(app, c.verifier, is_revoked=c.disabled_users),
    subject=token_subject, ops_guard=require(OPS_READ))
create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()
