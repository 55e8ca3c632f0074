"""Test support for this service's tests (and e2e suites): public messages of a booking's life, feeding the
views and triggers without Kafka, and reading the SMTP sink's Maildir."""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from uuid import UUID, uuid4

from contracts import Envelope, wrap
from contracts.bookings import (
    BookingAwaitingPayment,
    BookingConfirmed,
    BookingPromoted,
    BookingRequested,
    BookingWaitlisted,
)
from contracts.events import EventCancelled, EventCreated, EventUpdated
from contracts.payments import PaymentSucceeded
from contracts.users import UserRegistered
from spine.projector import SqlProjection, apply_in_transaction
from webkit.testing import assert_problem  # noqa: F401 - re-exported for the notifications tests

from notifications_service.consumers.triggers import NotificationTriggers
from notifications_service.projections.views import all_views

START = datetime(2031, 6, 1, 18, 0, tzinfo=UTC)


def everything() -> tuple[SqlProjection, ...]:
    """The views and the triggers, as the worker runs them."""
    return (*all_views(), NotificationTriggers())


def feed(conninfo: str, envelopes: Iterable[Envelope], projections: Iterable[SqlProjection] | None = None) -> None:
    """Apply public messages to the views and triggers (or the projections given), as the worker would."""
    envelopes = list(envelopes)
    for projection in projections if projections is not None else everything():
        apply_in_transaction(conninfo, projection, envelopes)


class Story:
    """Public messages about one user, one event and one booking, with realistic versions."""

    def __init__(self, user_id: UUID | None = None, *, locale: str | None = "en", paid: bool = False):
        self.user_id = user_id or uuid4()
        self.event_id, self.booking_id, self.payment_id = uuid4(), uuid4(), uuid4()
        self.email = f"u-{self.user_id.hex[:10]}@example.com"
        self.locale, self.paid = locale, paid
        self.event_version = 0
        self.booking_version = 0

    def registered(self, full_name: str = "Ada Lovelace") -> Envelope:
        return wrap(UserRegistered(user_id=self.user_id, email=self.email, full_name=full_name, role="participant",
                                   registered_at=datetime.now(UTC), locale=self.locale),
                    aggregate_id=str(self.user_id), aggregate_version=1)

    def event_created(self, title: str = "PyCon meetup") -> Envelope:
        self.event_version += 1
        return wrap(EventCreated(event_id=self.event_id, created_by=uuid4(), created_at=datetime.now(UTC), title=title,
                                 start_time=START, duration_minutes=120, max_participants=10, is_paid=self.paid,
                                 price=Decimal("10.00") if self.paid else None, currency="EUR" if self.paid else None,
                                 seats_available=10),
                    aggregate_id=str(self.event_id), aggregate_version=self.event_version)

    def event_moved(self, hours: int = 24) -> Envelope:
        self.event_version += 5  # seat reservations in between bump the event's version too
        return wrap(EventUpdated(event_id=self.event_id, changes={"start_time": (START + timedelta(hours=hours))
                                                                  .isoformat()},
                                 seats_available=9, updated_at=datetime.now(UTC)),
                    aggregate_id=str(self.event_id), aggregate_version=self.event_version)

    def event_cancelled(self) -> Envelope:
        self.event_version += 1
        return wrap(EventCancelled(event_id=self.event_id, reason="Venue flooded", cancelled_at=datetime.now(UTC)),
                    aggregate_id=str(self.event_id), aggregate_version=self.event_version)

    def _booking(self, message) -> Envelope:
        self.booking_version += 1
        return wrap(message, aggregate_id=str(self.booking_id), aggregate_version=self.booking_version)

    def requested(self) -> Envelope:
        return self._booking(BookingRequested(booking_id=self.booking_id, event_id=self.event_id, user_id=self.user_id,
                                              group_size=1, requested_at=datetime.now(UTC)))

    def waitlisted(self, position: int = 1) -> Envelope:
        return self._booking(BookingWaitlisted(booking_id=self.booking_id, event_id=self.event_id,
                                               user_id=self.user_id, position=position))

    def promoted(self) -> Envelope:
        return self._booking(BookingPromoted(booking_id=self.booking_id, event_id=self.event_id, user_id=self.user_id,
                                             group_size=1))

    def awaiting_payment(self) -> Envelope:
        return self._booking(BookingAwaitingPayment(booking_id=self.booking_id, event_id=self.event_id,
                                                    user_id=self.user_id, payment_id=self.payment_id,
                                                    amount=Decimal("10.00"), currency="EUR",
                                                    expires_at=datetime.now(UTC) + timedelta(minutes=15)))

    def confirmed(self) -> Envelope:
        return self._booking(BookingConfirmed(booking_id=self.booking_id, event_id=self.event_id, user_id=self.user_id,
                                              group_size=1, payment_id=self.payment_id if self.paid else None))

    def payment_succeeded(self) -> Envelope:
        return wrap(PaymentSucceeded(payment_id=self.payment_id, booking_id=self.booking_id, user_id=self.user_id,
                                     amount=Decimal("10.00"), currency="EUR"),
                    aggregate_id=str(self.payment_id), aggregate_version=2)

    def booked(self) -> list[Envelope]:
        """Registration, the event, and a confirmed booking (paid: through awaiting payment and payment)."""
        steps = [self.registered(), self.event_created(), self.requested()]
        if self.paid:
            steps += [self.awaiting_payment(), self.payment_succeeded()]
        return [*steps, self.confirmed()]


# --- the SMTP sink's Maildir -----------------------------------------------------------------------------

def mails(maildir: str | Path, to: str | None = None) -> list[EmailMessage]:
    """Every message in the sink's Maildir (to `to`, if given), parsed with the modern e-mail API."""
    box = mailbox.Maildir(str(maildir), factory=None, create=False)
    parsed = [BytesParser(policy=policy.default).parsebytes(box.get_bytes(key)) for key in box.keys()]
    if to is not None:
        parsed = [m for m in parsed if to in str(m["To"])]
    return parsed


def calendar_of(message: EmailMessage) -> bytes | None:
    """The .ics attachment of an e-mail, if it has one."""
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "text/calendar" and isinstance(payload, bytes):
            return payload
    return None
