"""The sender: renders pending notifications and delivers them (in-app at once, e-mail over SMTP).

Guarantees:
* Each notification row exists once per triggering event (consumers.triggers), so there is at most one
  e-mail to send per event, recipient and kind, whatever Kafka redelivers.
* Rows are claimed with a lease (`FOR UPDATE SKIP LOCKED`, next_attempt_at pushed ahead), so two workers
  never send the same row at the same time, and a crashed worker's rows are picked up when the lease ends.
* A row is marked `sent` only after the SMTP server accepted it. The remaining at-least-once window: a
  crash (or lost database) after the server accepted the message and before `sent` is written re-sends
  it once the lease ends, with the same Message-ID (derived from the notification id), which mail
  systems and clients use to recognise the duplicate. There is no way to close that window with SMTP.
* A row inserted with its `body` (and `subject`, optional `html`) already written — a mailing's content —
  is sent as it is, with any `data["headers"]` (e.g. List-Unsubscribe); others are rendered from templates.
* An SMTP failure is retried with exponential backoff; after `send_max_attempts` (or at once when the
  server refuses the recipient for good) the row is `failed` (shown in the API, logged at ERROR, counted in
  `ep_emails_total{kind="notification", outcome="failed"}`), never dropped silently. The policy and the
  SMTP connection are the mailings' too (delivery.smtp).

Cost: a round of up to `batch` rows is one claim, three view look-ups (delivery.context.load_contexts), one
write of what was rendered (and of the in-app, skipped, waiting and failed rows), the SMTP sends on one
connection, and one write of their outcomes, all on one pooled connection (storage.outbox).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from psycopg import Connection
from psycopg_pool import ConnectionPool

from notifications_service.delivery.calendar import booking_calendar
from notifications_service.delivery.context import Context, load_contexts
from notifications_service.delivery.mime import send
from notifications_service.delivery.render import Rendered, Renderer
from notifications_service.delivery.smtp import (
    Attachment,
    SmtpMailer,
    build_email,
    counted,
    message_id,
    refused,
    retry_delay,
)
from notifications_service.settings import Settings
from notifications_service.storage.outbox import LEASE, Changes, claim

log = logging.getLogger("notifications.sender")

__all__ = ["LEASE", "WAIT_RETRY", "Sender"]

WAIT_RETRY = timedelta(seconds=2)
KIND = "notification"  # the metric's kind label
# Sent e-mails are recorded `sent` together, every RECORD_EVERY of them and at the end of a round: a crash
# between the server's acceptance and that write re-sends at most this many (same Message-ID).
RECORD_EVERY = 16

Email = tuple[dict[str, Any], EmailMessage]


class Sender:
    """Delivers due notifications in batches; `run_once()` is one pass (the worker's timer calls it)."""

    def __init__(self, settings: Settings, pool: ConnectionPool, *, mailer: SmtpMailer | None = None,
                 renderer: Renderer | None = None, batch: int = 50):
        self.settings = settings
        self.pool = pool
        self.mailer = mailer or SmtpMailer(settings)
        self.renderer = renderer or Renderer(settings.default_locale)
        self.batch = batch

    def __call__(self) -> int:
        """Deliver until nothing is due (from the worker's timer thread)."""
        total = 0
        while (n := asyncio.run(self.run_once())) > 0:
            total += n
        return total

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows it claimed."""
        with self.pool.connection() as conn:
            rows = claim(conn, self.batch)
            conn.commit()  # the lease holds from here, whatever happens to this round
            if not rows:
                return 0
            changes, emails = Changes(), []
            for row, ctx in zip(rows, load_contexts(conn, rows), strict=True):
                ready = self._prepare(row, ctx, changes)
                if ready is not None:
                    emails.append(ready)
            changes.commit(conn)
            if emails:
                await self._send(emails, changes, conn)
                changes.commit(conn)
        return len(rows)

    # --- preparing --------------------------------------------------------------------------------------

    def _prepare(self, row: dict[str, Any], ctx: Context, changes: Changes) -> Email | None:
        """Render the row; deliver it if in-app; return (row, message) when an e-mail is to be sent."""
        if ctx.waiting_for is not None:
            self._wait(row, ctx.waiting_for, changes)
            return None
        user = ctx.user or {}
        if row["body"] is not None:  # written ready-made (e.g. a mailing's content): send as it is
            rendered = Rendered(subject=row["subject"] or "", text=row["body"], html=row["html"],
                                locale=row["locale"] or self.renderer.locale_of(user.get("locale")))
        elif not self.renderer.has(row["kind"]):
            self._fail(row, f"no template for {row['kind']!r}", changes)
            return None
        else:
            rendered = self.renderer.render(row["kind"], user.get("locale"), self._template_vars(row, ctx))
        values: dict[str, Any] = {"subject": rendered.subject, "body": rendered.text, "html": rendered.html,
                  "locale": rendered.locale, "recipient": user.get("email")}
        nid = row["notification_id"]
        if row["channel"] == "in_app":
            changes.add(nid, status="delivered", sent_at=True, **values)
            return None
        if user.get("disabled"):
            changes.add(nid, status="skipped", last_error="the account is disabled", **values)
            return None
        changes.add(nid, **values)
        msg = build_email(sender=self.settings.smtp_from, to=user["email"], subject=rendered.subject,
                          text=rendered.text, html=rendered.html, msg_id=message_id(nid),
                          attachments=self._attachments(row, ctx), headers=(row["data"] or {}).get("headers"))
        return row, msg

    @staticmethod
    def _template_vars(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return {"user": ctx.user, "booking": ctx.booking, "event": ctx.event, "data": row["data"] or {},
                "kind": row["kind"]}

    def _attachments(self, row: dict[str, Any], ctx: Context) -> tuple[Attachment, ...]:
        data = row["data"] or {}
        mode, booking_id, event = data.get("calendar"), data.get("booking_id"), ctx.event
        if not mode or not booking_id or event is None:
            return ()
        if row["kind"] == "event_changed" and (ctx.booking or {}).get("status") != "confirmed":
            return ()  # only a confirmed booking is in anyone's calendar
        sequence = int(event["schedule_version"])
        if row["kind"] in ("event_changed", "event_cancelled"):
            sequence = max(sequence, int(data.get("sequence") or 0))
        elif row["kind"] == "booking_cancelled":
            sequence += 1
        ics = booking_calendar(booking_id=booking_id, event=event, sequence=sequence, cancel=mode == "cancel",
                               organizer_email=self.settings.smtp_from, attendee_email=(ctx.user or {}).get("email"))
        method = "CANCEL" if mode == "cancel" else "PUBLISH"
        return (Attachment("invite.ics", ics, "text", "calendar", {"method": method}),)

    # --- sending ----------------------------------------------------------------------------------------

    async def _send(self, emails: list[Email], changes: Changes, conn: Connection) -> None:
        """One connection for the batch; after a failure, a fresh one for the next message (a dropped
        connection must not cost every later message of the batch an attempt)."""
        smtp: aiosmtplib.SMTP | None = None
        try:
            for i, (row, msg) in enumerate(emails):
                try:
                    if smtp is None or not smtp.is_connected:
                        smtp = await self.mailer.connect()
                except (aiosmtplib.SMTPException, OSError) as exc:
                    for later, _ in emails[i:]:  # the server is unreachable: try the rest later
                        self._retry(later, exc, changes)
                    return
                try:
                    await send(smtp, msg)
                except (aiosmtplib.SMTPException, OSError) as exc:
                    self._retry(row, exc, changes)
                    if not refused(exc):
                        smtp.close()
                    continue
                changes.add(row["notification_id"], status="sent", sent_at=True, attempts=row["attempts"] + 1,
                            last_error=None)
                counted(KIND, "sent")
                if len(changes) >= RECORD_EVERY:
                    changes.commit(conn)
        finally:
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()

    def _retry(self, row: dict[str, Any], exc: BaseException, changes: Changes) -> None:
        attempts = row["attempts"] + 1
        error = f"{type(exc).__name__}: {exc}"[:500]
        delay = None if refused(exc) else retry_delay(self.settings, attempts)
        if delay is None:
            self._fail(row, error, changes, attempts=attempts)
            return
        log.warning("e-mail %s attempt %d failed (%s); retrying in %.0f s", row["notification_id"], attempts,
                    error, delay)
        counted(KIND, "retried")
        changes.add(row["notification_id"], attempts=attempts, last_error=error, next_attempt_in=delay)

    def _fail(self, row: dict[str, Any], error: str, changes: Changes, *, attempts: int | None = None) -> None:
        log.error("notification %s (%s to user %s) failed: %s", row["notification_id"], row["kind"], row["user_id"],
                  error)
        counted(KIND, "failed")
        changes.add(row["notification_id"], status="failed", last_error=error,
                    attempts=attempts if attempts is not None else row["attempts"])

    def _wait(self, row: dict[str, Any], what: str, changes: Changes) -> None:
        """Its user/event is not in the views yet (another topic is behind): look again shortly, not forever."""
        if float(row["age"]) > self.settings.recipient_wait_minutes * 60:
            self._fail(row, f"the {what} never appeared in the local views", changes)
            return
        changes.add(row["notification_id"], next_attempt_in=WAIT_RETRY.total_seconds())

