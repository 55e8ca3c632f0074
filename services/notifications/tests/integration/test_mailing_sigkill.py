"""The notifications worker is SIGKILLed twice in the middle of a mailing and restarted: every recipient
still gets exactly one copy in the SMTP sink, and the counts end complete."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest
from spine.testing import create_topics, unique_topic

from notifications_service.testing_comms import World, email_of, received, recipient_of, smtp_sink

pytestmark = pytest.mark.integration

URL = "/api/v1/mailings/"
AUDIENCE = 600

WORKER = """
import sys
from notifications_service.main import build_worker
from notifications_service.settings import Settings
users, events, bookings, payments, notes = sys.argv[1:6]
build_worker(Settings(), users_topic=users, events_topic=events, bookings_topic=bookings,
             payments_topic=payments, notifications_topic=notes).run()
"""


def _sent(conninfo: str, mailing_id: str) -> int:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT count(*) FROM mailing_recipients WHERE mailing_id = %s AND status = 'sent'",
                            (mailing_id,)).fetchone()[0]


def _delivered(mail_dir) -> int:
    new = mail_dir / "new"
    return sum(1 for _ in new.iterdir()) if new.exists() else 0


def _status(conninfo: str, mailing_id: str) -> str:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT status FROM mailings WHERE mailing_id = %s", (mailing_id,)).fetchone()[0]


def _wait(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


# Known defect (issue 7, left open): with the notification e-mail sender running in the same worker as the
# mailing sender (as production runs them), a SIGKILLed-and-restarted worker delivers most copies two or
# three times although every recipient is recorded sent once; without it this test passes. Not understood yet.
@pytest.mark.xfail(reason="known defect: duplicate mailing copies after SIGKILL when the notification sender "
                          "shares the worker (issue 7 closing note)", strict=False)
def test_sigkill_mid_send_and_restart_delivers_each_copy_exactly_once(client, settings, admin, tmp_path):
    conninfo = settings.conninfo(settings.database)
    world = World(conninfo)
    with world.batched():
        event_id = world.event(world.user("organizer"))
        attendees = [world.user() for _ in range(AUDIENCE)]
        for user_id in attendees:
            world.booking(user_id, event_id, "confirmed")
    topics = [unique_topic(name) for name in ("users", "events", "bookings", "payments", "notifications")]
    create_topics(*topics, partitions=1)
    mail_dir = tmp_path / "mail"

    with smtp_sink(mail_dir) as port:
        env = {**os.environ, "NOTIFICATIONS_DATABASE": settings.database, "SMTP_PORT": str(port),
               "NOTIFICATIONS_SEND_INTERVAL": "0.2", "MAILING_LANES": "2", "LOG_LEVEL": "WARNING"}

        def start() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-c", WORKER, *topics], env=env)

        r = client.post(URL, headers=admin.headers, json={
            "title": "Tonight", "content": "Doors at 18:00.",
            "filters": {"event_id": str(event_id), "booking_status": "confirmed"}})
        assert r.status_code == 201, r.text
        mailing_id = r.json()["id"]
        worker = start()
        try:
            for kill_at in (AUDIENCE // 5, AUDIENCE // 2):
                # Killed at a random moment once the sink holds `kill_at` copies: anywhere in a round.
                _wait(lambda: _delivered(mail_dir) >= kill_at, f"{kill_at} copies delivered")
                time.sleep(random.uniform(0, 0.03))
                worker.send_signal(signal.SIGKILL)
                worker.wait(30)
                assert _sent(conninfo, mailing_id) < AUDIENCE, "the worker finished before it was killed"
                worker = start()
            _wait(lambda: _status(conninfo, mailing_id) == "completed", "the mailing to complete")
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()

    copies = Counter(recipient_of(m) for m in received(mail_dir))
    assert copies == Counter({email_of(u): 1 for u in attendees})
    final = client.get(f"{URL}{mailing_id}", headers=admin.headers).json()
    assert {k: final[k] for k in ("status", "audience", "sent", "failed", "pending")} == \
        {"status": "completed", "audience": AUDIENCE, "sent": AUDIENCE, "failed": 0, "pending": 0}
