"""The worker's mailing loop: starts due mailings and sends each recipient's copy exactly once.

* Start: one transaction flips a due `scheduled` mailing to `sending` and materialises its audience into
  `mailing_recipients` (unique per (mailing, user)); a restart finds the same rows, never a new audience.
* Send: `lanes` SMTP connections take pending recipients from one queue; each copy is recorded `sent`
  by a conditional UPDATE committed just before the server may deliver it (delivery.staged), so a
  SIGKILL anywhere leaves either a pending recipient whose half-sent copy the server discarded, or a
  sent one whose copy was delivered. A session advisory lock per mailing keeps two workers apart.
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

from notifications_service.delivery.mailing_message import mailing_message
from notifications_service.delivery.staged import Aborted, RefusedAfterCommit, staged_send
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
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=PAGE)
        lanes = [asyncio.create_task(self._lane(mailing, queue)) for _ in range(self.settings.mailing_lanes)]

        async def put(item: dict[str, Any] | None) -> bool:
            # Lanes end early when the SMTP server is unreachable: then stop feeding them.
            while not all(lane.done() for lane in lanes):
                try:
                    await asyncio.wait_for(queue.put(item), 1)
                    return True
                except TimeoutError:
                    continue
            return False

        try:
            async with await AsyncConnection.connect(self.conninfo, row_factory=dict_row) as reader:
                after = None
                while True:
                    where = [r.c.mailing_id == mailing["mailing_id"], r.c.status == "pending"]
                    if after is not None:
                        where.append(r.c.user_id > after)
                    page = await (await _run(reader, select(r).where(*where).order_by(r.c.user_id)
                                             .limit(PAGE))).fetchall()
                    await reader.commit()
                    for row in page:
                        if not await put(row):
                            return
                    if len(page) < PAGE:
                        break
                    after = page[-1]["user_id"]
        finally:
            for _ in lanes:
                await put(None)
            for lane in await asyncio.gather(*lanes, return_exceptions=True):
                if isinstance(lane, Exception):
                    log.warning("mailing %s: a lane stopped: %s", mailing["mailing_id"], lane)

    async def _lane(self, mailing: dict[str, Any], queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """One SMTP connection and one database connection, sending copies until the queue ends."""
        s = self.settings
        smtp: aiosmtplib.SMTP | None = None
        async with await AsyncConnection.connect(self.conninfo, autocommit=True) as db:
            try:
                while (row := await queue.get()) is not None:
                    if smtp is None or not smtp.is_connected:
                        # Unreachable server: end this lane, the recipient stays pending without an attempt.
                        smtp = await self._connect()
                    try:
                        await self._send_one(smtp, db, mailing, row)
                    except Aborted:
                        smtp = None
                    except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPSenderRefused) as error:
                        await self._failed(db, row, error, final=True)
                    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                        await self._failed(db, row, error, final=row["attempts"] + 1 >= s.send_max_attempts)
                        if smtp is not None:
                            smtp.close()
                        smtp = None
            finally:
                if smtp is not None and smtp.is_connected:
                    try:
                        await smtp.quit()
                    except aiosmtplib.SMTPException:
                        smtp.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                               start_tls=s.smtp_starttls)
        await smtp.connect()
        if s.smtp_user:
            await smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        return smtp

    async def _send_one(self, smtp: aiosmtplib.SMTP, db: AsyncConnection, mailing: dict[str, Any],
                        row: dict[str, Any]) -> None:
        s = self.settings
        message = mailing_message(mailing_id=mailing["mailing_id"], user_id=row["user_id"], email=row["email"],
                                  full_name=row["full_name"], title=mailing["title"], content=mailing["content"],
                                  category=mailing["category"], from_=s.smtp_from, public_url=s.public_url,
                                  secret=self.secret)
        key = (r.c.mailing_id == row["mailing_id"], r.c.user_id == row["user_id"])

        async def commit() -> bool:
            done = await _run(db, update(r).where(*key, r.c.status == "pending")
                              .values(status="sent", sent_at=func.now(), attempts=r.c.attempts + 1))
            return done.rowcount == 1

        sender = _address(s.smtp_from)
        try:
            await staged_send(smtp, sender, row["email"], message, commit, timeout=s.smtp_timeout_seconds)
        except RefusedAfterCommit as error:
            # Refused after it was recorded sent (the server rejected the finished message): correct it.
            await _run(db, update(r).where(*key).values(status="failed", last_error=str(error)[:500]))

    async def _failed(self, db: AsyncConnection, row: dict[str, Any], error: Exception, *, final: bool) -> None:
        log.warning("mailing %s to %s: %s", row["mailing_id"], row["user_id"], error)
        await _run(db, update(r).where(r.c.mailing_id == row["mailing_id"], r.c.user_id == row["user_id"],
                                       r.c.status == "pending")
                   .values(attempts=r.c.attempts + 1, last_error=str(error)[:500],
                           status="failed" if final else "pending"))


def _address(from_: str) -> str:
    from email.utils import parseaddr
    return parseaddr(from_)[1] or from_
