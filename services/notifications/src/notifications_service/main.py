"""The notifications service declared for webkit.service: `notifications-service` (API and worker in one
process), or `notifications-api` and `notifications-worker` (local views, triggers, e-mail senders) apart."""

from __future__ import annotations

from datetime import timedelta

from eventsourcing.persistence import IntegrityError

from authkit.deps import install_auth, require, token_subject
from authkit.revocation import DisabledUsersProjection
from contracts import topics
from contracts.permissions import OPS_READ
from spine.db import connection_pool
from spine.relay import Relay
from spine.worker import Worker
from webkit.problems import CONCURRENT_CHANGE, Refusal
from webkit.service import Service

from notifications_service.api.calendar import router as calendar_router
from notifications_service.api.mailings import router as mailings_router
from notifications_service.api.notifications import router as notifications_router
from notifications_service.api.support import router as support_router
from notifications_service.api.unsubscribe import router as unsubscribe_router
from notifications_service.bootstrap import build, build_support, ensure_tables
from notifications_service.consumers.triggers import NotificationTriggers
from notifications_service.domain import mailing, support, unsubscribe
from notifications_service.domain.categories import TransactionalCategory
from notifications_service.projections.support_threads import SupportThreadsView
from notifications_service.projections.views import BookingsView, EventsView, UsersView
from notifications_service.public import to_public
from notifications_service.settings import Settings
from notifications_service.timers.mailing_sender import MailingSender
from notifications_service.timers.sender import Sender

# One place maps refusals to HTTP statuses (subclasses inherit their base's status).
DOMAIN_ERRORS: dict[type[Exception], int | Refusal] = {
    TransactionalCategory: 422,  # turning off booking/payment/account messages
    # mailings
    mailing.AudienceNotAllowed: 403,
    mailing.ScheduleInPast: 422,
    mailing.MailingNotFound: 404,
    mailing.MailingAlreadyStarted: 409,
    unsubscribe.InvalidUnsubscribeToken: 400,
    # support
    support.InvalidContent: 422,
    support.InvalidAssignee: 422,
    support.ThreadNotFound: 404,
    support.ThreadClosed: 409,
    support.ThreadNotClosed: 409,
    support.OpenThreadExists: 409,
    IntegrityError: CONCURRENT_CHANGE,
}

# Routers in the order they are mounted; each area (notifications, mailings, support, calendar) has its own module.
# /notifications/unsubscribe precedes notify's /notifications/{id} routes only by path shape (no clash).
ROUTERS = [notifications_router, unsubscribe_router, calendar_router, mailings_router, support_router]


def worker_parts(worker: Worker, settings: Settings, *, users_topic: str = topics.USERS,
                 events_topic: str = topics.EVENTS, bookings_topic: str = topics.BOOKINGS,
                 payments_topic: str = topics.PAYMENTS, notifications_topic: str = topics.NOTIFICATIONS,
                 send: bool = True) -> Worker:
    """Local views from users/events/bookings topics, disabled users, the notification triggers (all four
    topics) and the e-mail sender. Tests pass throwaway topics, and `send=False` to drive the sender alone."""
    ensure_tables(settings)
    db = settings.database
    (worker.add_projection(UsersView(users_topic), db)
     .add_projection(EventsView(events_topic), db)
     .add_projection(BookingsView(bookings_topic), db)
     .add_projection(DisabledUsersProjection(users_topic), db)
     .add_projection(NotificationTriggers(users_topic, events_topic, bookings_topic, payments_topic,
                                          extra_topics=(notifications_topic,),
                                          max_age=timedelta(hours=settings.max_age_hours)), db))
    # Support threads: relay of the Support event store → notifications.v1; the threads view and the
    # triggers (a reply notifies the thread's owner) read it back. Mailings: the scheduler/sender timer.
    worker.add_relay(Relay(build_support(settings), notifications_topic, to_public, settings))
    worker.add_projection(SupportThreadsView(notifications_topic), db)
    if send:
        worker.add_timer(settings.send_interval_seconds, build_sender(settings))
        worker.add_timer(settings.send_interval_seconds, MailingSender(settings).tick)
    return worker


def build_sender(settings: Settings) -> Sender:
    """The e-mail sender with its own small pool (it runs in the timer's thread)."""
    return Sender(settings, connection_pool(settings.database, settings, max_size=2))


SERVICE = Service(
    "notifications", Settings, ROUTERS, DOMAIN_ERRORS, build, worker_parts,
    auth=lambda app, c: install_auth(app, c.verifier, is_revoked=c.disabled_users),
    subject=token_subject, ops_guard=require(OPS_READ))
create_app, build_worker, run, run_api, run_worker = SERVICE.entry_points()
