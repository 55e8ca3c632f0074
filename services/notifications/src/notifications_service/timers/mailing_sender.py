"""The worker's mailing loop: starts due mailings and sends each recipient's copy once.

* Start: one transaction flips a due `scheduled` mailing to `sending` and materialises its audience into
  `mailing_recipients` (unique per (mailing, user)); a restart finds the same rows, never a new audience.
* Send: in rounds over `mailing_lanes` SMTP connections (delivery.smtp, as every e-mail), one copy per
  connection at once; the copies the server accepted are recorded `sent` by one conditional UPDATE (one
  commit per round). A session advisory lock per mailing keeps two workers apart; the conditional UPDATE
  would catch them anyway.
* The bound of a crash: a copy is recorded only after the server accepted it, so none is ever lost or
  counted sent without being delivered. A worker killed between the server's acceptance and that commit
  leaves the round's copies pending, and the restart sends them again: at most one round in flight —
  `mailing_lanes` copies — is duplicated per crash, each with the same Message-ID (mailing, user), by
  which mail systems recognise it. SMTP offers no way to close that window (tests/integration/
  test_mailing_sigkill.py asserts the bound).
* Failures, with the notifications' policy (delivery.smtp): a 5xx refusal is `failed` at once; other
  errors count an attempt and wait the exponential backoff (`next_attempt_at`), until `send_max_attempts`,
  then `failed` with the last error. All counted in `ep_emails_total{kind="mailing"}`.
* A mailing with no pending recipients left is `completed`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

import aiosmtplib
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from notifications_service.delivery.mailing_message import MailingTemplate
from notifications_service.delivery.render import Renderer
from notifications_service.delivery.smtp import SmtpMailer, counted, refused, retry_delay
from notifications_service.projections.tables import users_view
from notifications_service.settings import Settings
from notifications_service.storage.audience import audience_rows
from notifications_service.storage.mailings import mailings as m
from notifications_service.storage.mailings import recipients as r
from notifications_service.storage.sql import run

log = logging.getLogger("notifications.mailings")

PAGE = 2000
KIND = "mailing"  # the metric's kind label
Db = AsyncConnection[DictRow]  # opened with row_factory=dict_row


class MailingSender:
    """Sends due mailings from the service's database over SMTP; `tick()` is the worker's timer."""

    def __init__(self, settings: Settings, *, mailer: SmtpMailer | None = None):
        self.settings = settings
        self.mailer = mailer or SmtpMailer(settings)
        self.renderer = Renderer(settings.default_locale)
        self.conninfo = settings.conninfo(settings.database)
        self.secret = settings.unsubscribe_secret.get_secret_value().encode()

    def tick(self) -> None:
        """One round (sync, for spine.worker's timers, which run in a thread)."""
        asyncio.run(self.run_once())

    async def run_once(self) -> None:
        """Start what is due, then send every mailing that is sending (one round of attempts each)."""
        async with await AsyncConnection.connect(self.conninfo, autocommit=True, row_factory=dict_row) as conn:
            await self._start_due(conn)
            sending = await (await run(conn, select(m).where(m.c.status == "sending")
                                       .order_by(m.c.started_at))).fetchall()
            for mailing in sending:
                lock = f"mailing:{mailing['mailing_id']}"
                got = await (await conn.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (lock,))).fetchone()
                if got is None or not got["ok"]:
                    continue  # another worker is sending it
                try:
                    await self._send(conn, mailing)
                    await self._finish_if_done(conn, mailing["mailing_id"])
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock,))

    async def _start_due(self, conn: Db) -> None:
        while True:
            async with conn.transaction():
                due = await (await run(conn, select(m).where(m.c.status == "scheduled",
                                                             m.c.scheduled_at <= func.now())
                                       .order_by(m.c.scheduled_at).limit(1)
                                       .with_for_update(skip_locked=True))).fetchone()
                if due is None:
                    return
                rows = audience_rows(due["mailing_id"], due["filters"], due["category"])
                added = await run(conn, insert(r).from_select(["mailing_id", "user_id", "email", "full_name"], rows)
                                  .on_conflict_do_nothing())
                await run(conn, update(m).where(m.c.mailing_id == due["mailing_id"])
                          .values(status="sending", started_at=func.now(), audience=added.rowcount))
            log.info("mailing %s started: %d recipients", due["mailing_id"], added.rowcount)

    async def _finish_if_done(self, conn: Db, mailing_id: UUID) -> None:
        pending = select(r.c.user_id).where(r.c.mailing_id == mailing_id, r.c.status == "pending").exists()
        await run(conn, update(m).where(m.c.mailing_id == mailing_id, m.c.status == "sending", ~pending)
                  .values(status="completed", finished_at=func.now()))

    def _due_page(self, mailing_id: UUID, after: UUID | None):
        """Pending recipients whose backoff is over, in user order, with their language (users view)."""
        where = [r.c.mailing_id == mailing_id, r.c.status == "pending",
                 or_(r.c.next_attempt_at.is_(None), r.c.next_attempt_at <= func.now())]
        if after is not None:
            where.append(r.c.user_id > after)
        return (select(r, users_view.c.locale).select_from(r.outerjoin(users_view, users_view.c.user_id == r.c.user_id))
                .where(*where).order_by(r.c.user_id).limit(PAGE))

    async def _send(self, db: Db, mailing: dict[str, Any]) -> None:
        """Rounds of up to `mailing_lanes` copies, each on its own SMTP connection, recorded by one commit."""
        lanes: list[aiosmtplib.SMTP | None] = [None] * self.settings.mailing_lanes
        s = self.settings
        template = MailingTemplate(mailing_id=mailing["mailing_id"], title=mailing["title"],
                                   content=mailing["content"], category=mailing["category"], from_=s.smtp_from,
                                   public_url=s.public_url, secret=self.secret, renderer=self.renderer)
        try:
            after = None
            while True:
                page = await (await run(db, self._due_page(mailing["mailing_id"], after))).fetchall()
                for i in range(0, len(page), len(lanes)):
                    await self._round(db, lanes, mailing, template, page[i:i + len(lanes)])
                if len(page) < PAGE:
                    break
                after = page[-1]["user_id"]
        except (OSError, TimeoutError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as error:
            # The server is unreachable: the rest stays pending, without spending their attempts.
            log.warning("mailing %s paused: SMTP server unreachable: %s", mailing["mailing_id"], error)
        finally:
            for smtp in lanes:
                if smtp is not None:
                    smtp.close()

    async def _round(self, db: Db, lanes: list[aiosmtplib.SMTP | None], mailing: dict[str, Any],
                     template: MailingTemplate, rows: list[dict[str, Any]]) -> None:
        """Send one copy on each lane at once, then record the accepted ones sent in one commit."""
        ready: list[aiosmtplib.SMTP] = []
        for i in range(len(rows)):
            lane = lanes[i]
            if lane is None or not lane.is_connected:
                lane = lanes[i] = await self.mailer.connect()  # unreachable: raises, nothing of this round was sent
            ready.append(lane)
        sender = template.from_addr or self.settings.smtp_from
        results = await asyncio.gather(*(
            lane.sendmail(sender, [row["email"]], template.render(row["user_id"], row["email"], row["full_name"],
                                                                  row["locale"]))
            for lane, row in zip(ready, rows, strict=True)), return_exceptions=True)
        accepted = [row["user_id"] for row, result in zip(rows, results, strict=True)
                    if not isinstance(result, BaseException)]
        if accepted:
            await run(db, update(r).where(r.c.mailing_id == mailing["mailing_id"], r.c.user_id.in_(accepted),
                                          r.c.status == "pending")
                      .values(status="sent", sent_at=func.now(), attempts=r.c.attempts + 1, last_error=None))
            counted(KIND, "sent", len(accepted))
        for i, (row, result) in enumerate(zip(rows, results, strict=True)):
            if isinstance(result, BaseException):
                ready[i].close()  # a fresh connection for the next copy: this one's state is unknown
                lanes[i] = None
                await self._failed(db, row, result)

    async def _failed(self, db: Db, row: dict[str, Any], error: BaseException) -> None:
        attempts = row["attempts"] + 1
        delay = None if refused(error) else retry_delay(self.settings, attempts)
        message = f"{type(error).__name__}: {error}"[:500]
        log.warning("mailing %s to %s, attempt %d: %s", row["mailing_id"], row["user_id"], attempts, message)
        counted(KIND, "failed" if delay is None else "retried")
        retry_at = func.now() + timedelta(seconds=delay) if delay is not None else None
        await run(db, update(r).where(r.c.mailing_id == row["mailing_id"], r.c.user_id == row["user_id"],
                                      r.c.status == "pending")
                  .values(attempts=attempts, last_error=message, next_attempt_at=retry_at,
                          status="failed" if delay is None else "pending"))
