"""Test support for mailings and support threads: people/events/bookings fed into the local views, a real
SMTP sink (deploy/smtp_sink.py, as `make run` starts it) on a free port, and the support view synced
from the event store the way the relay and projector would."""

from __future__ import annotations

import contextlib
import json
import mailbox
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from uuid import UUID, uuid4

from contracts import Envelope, wrap
from contracts.bookings import BookingCancelled, BookingConfirmed, BookingRequested
from contracts.events import EventCreated
from contracts.users import UserRegistered
from spine.projector import apply_in_transaction
from spine.relay import envelope_of

from notifications_service.projections.support_threads import SupportThreadsView
from notifications_service.projections.views import all_views
from notifications_service.public import to_public
from notifications_service.testing import everything, feed

REPO = Path(__file__).resolve().parents[4]


class World:
    """Users, events and bookings as the notifications views learn them from Kafka (fed directly).

    Only the views: with `notify=True` the triggers see them too (welcome and booking e-mails for everyone),
    which a test counting what the SMTP sink received must not get unasked (issue 7's "duplicate mailing
    copies" were these e-mails, counted as copies)."""

    def __init__(self, conninfo: str, *, notify: bool = False):
        self.conninfo = conninfo
        self.projections = everything() if notify else all_views()
        self.versions: dict[UUID, int] = {}
        self.batch: list[Envelope] | None = None

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Feed everything made in the block at once (hundreds of people in one transaction per view)."""
        self.batch = []
        try:
            yield
            feed(self.conninfo, self.batch, self.projections)
        finally:
            self.batch = None

    def _send(self, payload, aggregate_id: UUID) -> None:
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        envelope = wrap(payload, aggregate_id=str(aggregate_id), aggregate_version=version)
        if self.batch is not None:
            self.batch.append(envelope)
        else:
            feed(self.conninfo, [envelope], self.projections)

    def user(self, role: str = "participant", *, user_id: UUID | None = None, name: str = "Test User",
             registered_at: datetime | None = None, locale: str | None = None) -> UUID:
        user_id = user_id or uuid4()
        self._send(UserRegistered(user_id=user_id, email=f"{user_id.hex[:12]}@example.com", full_name=name,
                                  role=role, registered_at=registered_at or datetime.now(UTC), locale=locale),
                   user_id)
        return user_id

    def event(self, organizer_id: UUID, *, paid: bool = False) -> UUID:
        event_id = uuid4()
        self._send(EventCreated(event_id=event_id, title="Meetup", start_time=datetime.now(UTC) + timedelta(days=7),
                                duration_minutes=60, max_participants=100, is_paid=paid, created_by=organizer_id,
                                created_at=datetime.now(UTC), seats_available=100), event_id)
        return event_id

    def booking(self, user_id: UUID, event_id: UUID, status: str = "confirmed") -> UUID:
        booking_id = uuid4()
        ids = {"booking_id": booking_id, "event_id": event_id, "user_id": user_id}
        self._send(BookingRequested(**ids, group_size=1, requested_at=datetime.now(UTC)), booking_id)
        if status in ("confirmed", "cancelled"):
            self._send(BookingConfirmed(**ids, group_size=1), booking_id)
        if status == "cancelled":
            self._send(BookingCancelled(**ids, reason="user"), booking_id)
        return booking_id


def email_of(user_id: UUID) -> str:
    """The address World gave the user."""
    return f"{user_id.hex[:12]}@example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_sink(mail_dir: Path, port: int | None = None, *, refuse: dict[str, str] | None = None) -> Iterator[int]:
    """The project's SMTP sink (a Maildir at `mail_dir`) on a free port, for the block's duration; `refuse`
    maps addresses to the reply their RCPT TO gets (testing_sink)."""
    port = port or free_port()
    handler = ["notifications_service.testing_sink.RefusingSink", str(mail_dir), json.dumps(refuse)] if refuse \
        else ["deploy.smtp_sink.Sink", str(mail_dir)]
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", *handler],
                            cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def received(mail_dir: Path) -> list[Message]:
    """Every message the sink stored."""
    return list(mailbox.Maildir(str(mail_dir), create=False))


def sync_support(conninfo: str, app) -> list[Envelope]:
    """Project every support event into the threads view, as relay + projector would; returns the envelopes."""
    envelopes = []
    for notification in app.recorder.select_notifications(start=1, limit=100_000):
        event = app.mapper.to_domain_event(notification)
        envelope = envelope_of(event, to_public, app.name)
        if envelope is not None:
            envelopes.append(envelope)
    apply_in_transaction(conninfo, SupportThreadsView(), envelopes)
    return envelopes


def part_of(message: Message, subtype: str) -> str:
    """The decoded text/<subtype> part of a stored message."""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == f"text/{subtype}" and isinstance(payload, bytes):
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")


def recipient_of(message: Message) -> str:
    """The address a stored message was sent to."""
    from email.utils import parseaddr
    return parseaddr(str(message["To"]))[1]
