"""Mailing throughput: a mailing to 10,000 recipients through the notifications worker's sender (audience
query, materialised recipients, one recorded delivery per copy, SMTP lanes, ru/en template), in messages/s delivered
into the project's SMTP sink; baseline: a bare aiosmtplib send loop (one connection, prebuilt messages of
the same shape) into the same sink, in the same run. Target: subject ≥ 50% of the baseline.

Then the rush's share: BENCH_NOTIFY_N (2,000) confirmed free bookings through the notification triggers (in
batches of 50, as the worker's projector applies them) and the notification sender (one e-mail with its calendar
file and one in-app row per booking, into the same sink), in CPU milliseconds per booking of this process's
main thread (the sink runs in its own process; PostgreSQL's share is not counted).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import aiosmtplib
import psycopg

from spine.db import connection_pool
from spine.testing import fresh_database

from notifications_service.bootstrap import ensure_tables
from notifications_service.consumers.triggers import NotificationTriggers
from notifications_service.projections.views import all_views
from notifications_service.settings import Settings
from notifications_service.testing import Story, feed
from notifications_service.testing_comms import smtp_sink
from notifications_service.timers.mailing_sender import MailingSender
from notifications_service.timers.sender import Sender

N = int(os.environ.get("BENCH_MAILING_N", 10_000))
NOTIFY_N = int(os.environ.get("BENCH_NOTIFY_N", 2_000))
NOTIFY_BATCH = 50
CONTENT = "Doors open at 18:00. Bring your ticket (or the QR code in this e-mail) and a good mood.\n" * 5


def _count(mail_dir: Path) -> int:
    return sum(1 for _ in (mail_dir / "new").iterdir())


def seed(conninfo: str) -> None:
    """N participants in the local users view (as UserRegistered would put them there)."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("""INSERT INTO notify_users_view (user_id, email, full_name, role, registered_at)
                        SELECT gen_random_uuid(), 'bench' || i || '@example.com', 'Bench User ' || i,
                               'participant', now() FROM generate_series(1, %s) AS i""", (N,))


async def bare_loop(port: int) -> float:
    """messages/s of N sequential send_message calls on one connection."""
    messages = []
    for i in range(N):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "no-reply@eventplanner.local", f"bare{i}@example.com", "Bench"
        msg["List-Unsubscribe"] = f"<http://127.0.0.1:8000/api/v1/notifications/unsubscribe?token={uuid4().hex}>"
        msg.set_content(CONTENT)
        messages.append(msg)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await smtp.connect()
    start = time.perf_counter()
    for msg in messages:
        await smtp.send_message(msg)
    elapsed = time.perf_counter() - start
    await smtp.quit()
    return N / elapsed


async def mailing(settings: Settings) -> float:
    """messages/s of one mailing to N recipients, from due to completed."""
    conninfo = settings.conninfo(settings.database)
    with psycopg.connect(conninfo) as conn:
        conn.execute("INSERT INTO mailings (mailing_id, author_id, author_role, title, content, filters, "
                     "scheduled_at) VALUES (%s, %s, 'admin', 'Bench', %s, '{\"role\": \"participant\"}', %s)",
                     (uuid4(), uuid4(), CONTENT, datetime.now(UTC)))
    start = time.perf_counter()
    await MailingSender(settings).run_once()
    elapsed = time.perf_counter() - start
    with psycopg.connect(conninfo) as conn:
        sent = conn.execute("SELECT count(*) FROM mailing_recipients WHERE status = 'sent'").fetchone()[0]
    assert sent == N, f"{sent} of {N} sent"
    return N / elapsed


def notifications(settings: Settings, mail_dir: Path) -> tuple[float, float, float]:
    """CPU ms per booking of the triggers and of the sender, and the sender's e-mails/s (wall)."""
    conninfo = settings.conninfo(settings.database)
    stories = [Story() for _ in range(NOTIFY_N)]
    event = stories[0]
    for story in stories[1:]:
        story.event_id = event.event_id
    feed(conninfo, [event.event_created(), *(m for s in stories for m in (s.registered(), s.requested()))],
         all_views())
    confirmed = [s.confirmed() for s in stories]
    feed(conninfo, confirmed, all_views())
    triggers = NotificationTriggers()
    before = _count(mail_dir)
    with psycopg.connect(conninfo) as conn:
        start = time.thread_time()
        for i in range(0, NOTIFY_N, NOTIFY_BATCH):
            with conn.transaction(), conn.cursor() as cur:
                triggers.apply_batch(cur, confirmed[i:i + NOTIFY_BATCH])
        triggers_cpu = time.thread_time() - start
    pool = connection_pool(settings.database, settings, max_size=2)
    try:
        sender = Sender(settings, pool)
        start, wall = time.thread_time(), time.perf_counter()
        sender()
        sender_cpu, wall = time.thread_time() - start, time.perf_counter() - wall
    finally:
        pool.close()
    assert _count(mail_dir) - before == NOTIFY_N, "the sink did not receive every notification"
    return triggers_cpu * 1000 / NOTIFY_N, sender_cpu * 1000 / NOTIFY_N, NOTIFY_N / wall


def main() -> None:
    with fresh_database("bench_mailing") as db, tempfile.TemporaryDirectory() as tmp:
        mail_dir = Path(tmp) / "mail"
        with smtp_sink(mail_dir) as port:
            settings = Settings(database=db, smtp_port=port)
            ensure_tables(settings)
            seed(settings.conninfo(db))
            baseline = asyncio.run(bare_loop(port))
            assert _count(mail_dir) == N
            subject = asyncio.run(mailing(settings))
            assert _count(mail_dir) == 2 * N, "the sink did not receive every copy"
            triggers_ms, sender_ms, sender_rate = notifications(settings, mail_dir)
    print(f"\n== Mailing to {N} recipients into the SMTP sink (messages/s)")
    print(f"{'':>10} {'subject':>12} {'baseline':>12} {'ratio':>8}")
    print(f"{'msg/s':>10} {subject:>12.0f} {baseline:>12.0f} {subject / baseline:>8.2f}   "
          f"(subject: mailing sender, {settings.mailing_lanes} lanes; baseline: bare aiosmtplib loop)")
    print(f"\n== {NOTIFY_N} confirmed bookings: notification triggers and sender (CPU ms per booking, this process)")
    print(f"{'triggers':>10} {triggers_ms:>8.2f} ms   {'sender':>8} {sender_ms:>8.2f} ms   "
          f"(sender: {sender_rate:.0f} e-mails/s, each with an in-app twin)")


if __name__ == "__main__":
    main()
