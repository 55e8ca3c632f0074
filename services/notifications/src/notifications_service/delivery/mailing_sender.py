"""The worker's mailing loop: starts due mailings and sends each recipient's copy exactly once.

* Start: one transaction flips a due `scheduled` mailing to `sending` and materialises its audience into
  `mailing_recipients` (unique per (mailing, user)); a restart finds the same rows, never a new audience.
* Send: in rounds over `mailing_lanes` SMTP connections, each copy is transferred up to the end of DATA,
  then the round's copies are recorded `sent` by one conditional UPDATE (one commit), then their final
  "." is written (delivery.staged). A SIGKILL anywhere leaves either pending recipients whose half-sent
  copies the server discarded, or sent ones whose copies were delivered: never a second copy. A session
  advisory lock per mailing keeps two workers apart; the conditional UPDATE would catch them anyway.
* Failures: a refused recipient is `failed` at once; other SMTP/network errors count an attempt and
  leave it pending for the next round, until `send_max_attempts`, then `failed` with the last error.
* A mailing with no pending recipients left is `completed`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import aiosmtplib
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql import ClauseElement

from notifications_service.delivery.mailing_message import MailingTemplate
from notifications_service.delivery.staged import RefusedAfterCommit, StagedCopy
from notifications_service.settings import Settings
from notifications_service.storage.audience import audience_rows
from notifications_service.storage.mailings import mailings as m
from notifications_service.storage.mailings import recipients as r
from notifications_service.storage.sql import compiled

log = logging.getLogger("notifications.mailings")

PAGE = 2000


async def _run(conn: AsyncConnection, stmt: ClauseElement) -> Any:
    sql, params = compiled(stmt)
    return await conn.execute(sql, params)


class MailingSender:
    """Sends due mailings from the service's database over SMTP; `tick()` is the worker's timer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.conninfo = settings.conninfo(settings.database)
        self.secret = settings.unsubscribe_secret.get_secret_value().encode()

    def tick(self) -> None:
        """One round (sync, for spine.worker's timers, which run in a thread)."""
        asyncio.run(self.run_once())

    async def run_once(self) -> None:
        """Start what is due, then send every mailing that is sending (one round of attempts each)."""
        async with await AsyncConnection.connect(self.conninfo, autocommit=True, row_factory=dict_row) as conn:
            await self._start_due(conn)
            sending = await (await _run(conn, select(m).where(m.c.status == "sending")
                                        .order_by(m.c.started_at))).fetchall()
            for mailing in sending:
                lock = f"mailing:{mailing['mailing_id']}"
                got = await (await conn.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (lock,))).fetchone()
                if not got["ok"]:
                    continue  # another worker is sending it
                try:
                    await self._send(mailing)
                    await self._finish_if_done(conn, mailing["mailing_id"])
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock,))

    async def _start_due(self, conn: AsyncConnection) -> None:
        while True:
            async with conn.transaction():
                due = await (await _run(conn, select(m).where(m.c.status == "scheduled",
                                                              m.c.scheduled_at <= func.now())
                                        .order_by(m.c.scheduled_at).limit(1)
                                        .with_for_update(skip_locked=True))).fetchone()
                if due is None:
                    return
                rows = audience_rows(due["mailing_id"], due["filters"], due["category"])
                added = await _run(conn, insert(r).from_select(["mailing_id", "user_id", "email", "full_name"], rows)
                                   .on_conflict_do_nothing())
                await _run(conn, update(m).where(m.c.mailing_id == due["mailing_id"])
                           .values(status="sending", started_at=func.now(), audience=added.rowcount))
            log.info("mailing %s started: %d recipients", due["mailing_id"], added.rowcount)

    async def _finish_if_done(self, conn: AsyncConnection, mailing_id: UUID) -> None:
        pending = select(r.c.user_id).where(r.c.mailing_id == mailing_id, r.c.status == "pending").exists()
        await _run(conn, update(m).where(m.c.mailing_id == mailing_id, m.c.status == "sending", ~pending)
                   .values(status="completed", finished_at=func.now()))

    async def _send(self, mailing: dict[str, Any]) -> None:
        """Rounds of up to `mailing_lanes` copies, each on its own SMTP connection, recorded by one commit."""
        lanes: list[aiosmtplib.SMTP | None] = [None] * self.settings.mailing_lanes
        s = self.settings
        template = MailingTemplate(mailing_id=mailing["mailing_id"], title=mailing["title"],
                                   content=mailing["content"], category=mailing["category"], from_=s.smtp_from,
                                   public_url=s.public_url, secret=self.secret)
        try:
            async with await AsyncConnection.connect(self.conninfo, row_factory=dict_row) as reader, \
                    await AsyncConnection.connect(self.conninfo, autocommit=True) as db:
                after = None
                while True:
                    where = [r.c.mailing_id == mailing["mailing_id"], r.c.status == "pending"]
                    if after is not None:
                        where.append(r.c.user_id > after)
                    page = await (await _run(reader, select(r).where(*where).order_by(r.c.user_id)
                                             .limit(PAGE))).fetchall()
                    await reader.commit()
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
                    # Close, not QUIT: after an error a lane may still hold a copy at the end of DATA, and
                    # dropping the connection is what makes the server discard it.
                    smtp.close()

    async def _round(self, db: AsyncConnection, lanes: list[aiosmtplib.SMTP | None], mailing: dict[str, Any],
                     template: MailingTemplate, rows: list[dict[str, Any]]) -> None:
        """Prepare each copy on its lane, record the prepared ones sent in one commit, then deliver them."""
        s = self.settings
        for i in range(len(rows)):
            if lanes[i] is None or not lanes[i].is_connected:
                lanes[i] = await self._connect()  # unreachable: raises, nothing of this round was prepared
        copies = [StagedCopy(lanes[i], s.smtp_timeout_seconds) for i in range(len(rows))]
        results = await asyncio.gather(*(self._prepare(copy, template, row) for copy, row in zip(copies, rows)),
                                       return_exceptions=True)
        ready: dict[UUID, StagedCopy] = {}
        for i, (row, result) in enumerate(zip(rows, results, strict=True)):
            if result is None:
                ready[row["user_id"]] = copies[i]
                continue
            lanes[i].close()
            lanes[i] = None
            refused = isinstance(result, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPSenderRefused)
            await self._failed(db, row, result, final=refused or row["attempts"] + 1 >= s.send_max_attempts)
        if not ready:
            return
        try:
            claimed = {row[0] for row in await (await db.execute(
                "UPDATE mailing_recipients SET status = 'sent', sent_at = now(), attempts = attempts + 1 "
                "WHERE mailing_id = %s AND user_id = ANY(%s) AND status = 'pending' RETURNING user_id",
                (mailing["mailing_id"], list(ready)))).fetchall()}
        except BaseException:
            for copy in ready.values():
                copy.abort()  # not recorded: the server must not deliver them
            raise
        for user_id, copy in ready.items():
            if user_id in claimed:
                try:
                    copy.release_terminator()
                except aiosmtplib.SMTPException:
                    pass  # deliver() reports it
        outcomes = await asyncio.gather(*(copy.deliver() for user_id, copy in ready.items() if user_id in claimed),
                                        return_exceptions=True)
        for user_id, copy in ready.items():
            if user_id not in claimed:
                copy.abort()  # someone else sent it meanwhile
        for user_id, outcome in zip([u for u in ready if u in claimed], outcomes, strict=True):
            if isinstance(outcome, RefusedAfterCommit):
                await _run(db, update(r).where(r.c.mailing_id == mailing["mailing_id"], r.c.user_id == user_id)
                           .values(status="failed", last_error=str(outcome)[:500]))
            elif isinstance(outcome, BaseException):
                # The connection broke after the terminator was written: most likely delivered; never resent.
                log.warning("mailing %s to %s: no answer after the message: %s", mailing["mailing_id"], user_id,
                            outcome)
                ready[user_id].abort()
        for i, smtp in enumerate(lanes):
            if smtp is not None and not smtp.is_connected:
                lanes[i] = None

    async def _prepare(self, copy: StagedCopy, template: MailingTemplate, row: dict[str, Any]) -> None:
        message = template.render(row["user_id"], row["email"], row["full_name"])
        await copy.prepare(template.from_addr or self.settings.smtp_from, row["email"], message)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                               start_tls=s.smtp_starttls)
        await smtp.connect()
        if s.smtp_user:
            await smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        return smtp

    async def _failed(self, db: AsyncConnection, row: dict[str, Any], error: Exception, *, final: bool) -> None:
        log.warning("mailing %s to %s: %s", row["mailing_id"], row["user_id"], error)
        await _run(db, update(r).where(r.c.mailing_id == row["mailing_id"], r.c.user_id == row["user_id"],
                                       r.c.status == "pending")
                   .values(attempts=r.c.attempts + 1, last_error=str(error)[:500],
                           status="failed" if final else "pending"))

