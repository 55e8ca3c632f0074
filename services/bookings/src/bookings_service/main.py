"""The bookings service declared for webkit.service: `bookings-service` (API and worker in one process), or
`bookings-api` and `bookings-worker` (saga, relays, projections, timers) apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI

from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from spine.relay import Relay
from spine.worker import Worker
from webkit.problems import CONCURRENT_CHANGE, Refusal
from webkit.service import Service

from bookings_service import domain, public
from bookings_service.api.bookings import router as bookings_router
from bookings_service.api.box_office import router as box_office_router
from bookings_service.bootstrap import Container, build
from bookings_service.consumers.saga import SagaHandler
from bookings_service.projections.bookings_view import BookingsView
from bookings_service.projections.catalogue_replica import CatalogueReplica
from bookings_service.projections.payments_ledger import PaymentsLedger
from bookings_service.projections.settings_replica import SettingsReplica
from bookings_service.projections.users_directory import UsersDirectory
from bookings_service.settings import Settings
from bookings_service.timers.deadlines import Deadlines
from bookings_service.timers.lease_sweep import LeaseSweep
from bookings_service.timers.stuck import StuckSagas

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


def worker_parts(worker: Worker, settings: Settings, *, names: Topics = Topics()) -> Worker:
    """Relays (bookings.v1 and the two command topics), the saga, the read models (with the box office's users
    directory and payments ledger), and the timers: deadlines and stuck sagas (and, with `seat_leases`, the
    lease sweep: idle leased seats go back, unanswered lease requests are asked again)."""
    container = build(settings, with_verifier=False)
    app = container.bookings
    saga = SagaHandler(app, live_booking_ids=container.query.live_booking_ids, rules=container.rules.current,
                       events_topic=names.events, payments_topic=names.payments, leases=settings.seat_leases)
    stuck_after = timedelta(seconds=settings.stuck_after_seconds)
    worker = (worker
              .add_relay(Relay(app, names.bookings, public.to_event, settings))
              .add_relay(Relay(app, names.events_commands, public.to_seat_command, settings,
                               address=public.seat_command_address))
              .add_relay(Relay(app, names.payments_commands, public.to_payment_command, settings,
                               address=public.payment_command_address))
              .add_handler(saga, app)
              .add_projection(BookingsView(names.bookings), settings.database)
              .add_projection(CatalogueReplica(names.events), settings.database)
              .add_projection(SettingsReplica(names.users), settings.database)
              .add_projection(DisabledUsersProjection(names.users), settings.database)
              .add_projection(UsersDirectory(names.users), settings.database)
              .add_projection(PaymentsLedger(names.payments), settings.database)
              .add_timer(settings.deadline_check_seconds,
                         Deadlines(app, container.query, container.rules.current, stuck_after=stuck_after))
              .add_timer(settings.health_check_seconds, StuckSagas(container.pool, stuck_after)))
    if settings.seat_leases:  # issue 8: only then is there a lease to sweep
        idle = timedelta(seconds=settings.lease_idle_seconds)
        worker.add_timer(settings.deadline_check_seconds, LeaseSweep(app, idle_after=idle, unanswered_after=idle))
    return worker


def install_token_checks(app: FastAPI, container: Container) -> None:
    assert container.verifier is not None  # the api's container always has one (the worker's has none)
    install_auth(app, container.verifier, is_revoked=container.disabled_users)


SERVICE = Service("bookings", Settings, [bookings_router, box_office_router], DOMAIN_ERRORS, build, worker_parts,
                  auth=install_token_checks, subject=token_subject, ops_guard=require(OPS_READ))
create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()
