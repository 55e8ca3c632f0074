"""Support through the real worker and Kafka: the relay publishes the thread's events on the notifications
topic, the threads view lists it, and a reply becomes the user's in-app notification and pending e-mail."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from spine.testing import create_topics, unique_topic

from notifications_service.testing_comms import World

pytestmark = pytest.mark.integration

URL = "/api/v1/support"

WORKER = """
import sys
from notifications_service.main import build_worker
from notifications_service.settings import Settings
users, events, bookings, payments, notes = sys.argv[1:6]
build_worker(Settings(), users_topic=users, events_topic=events, bookings_topic=bookings,
             payments_topic=payments, notifications_topic=notes, send=False).run()
"""


def _eventually(fetch, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while not (result := fetch()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)
    return result


def test_a_reply_notifies_the_user_once_and_the_thread_is_listed(client, settings, participant, support):
    conninfo = settings.conninfo(settings.database)
    World(conninfo).user(user_id=participant.user_id)
    topics = [unique_topic(name) for name in ("users", "events", "bookings", "payments", "notifications")]
    create_topics(*topics, partitions=1)
    env = {**os.environ, "NOTIFICATIONS_DATABASE": settings.database, "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, *topics], env=env)
    try:
        thread = client.post(f"{URL}/messages", headers=participant.headers,
                             json={"content": "Where is my ticket?"}).json()
        r = client.post(f"{URL}/threads/{thread['id']}/reply", headers=support.headers,
                        json={"content": "Re-sent, check your inbox."})
        assert r.status_code == 200, r.text

        def delivered() -> list[dict]:
            rows = [n for n in client.get("/api/v1/notifications/", headers=participant.headers).json()
                    if n["kind"] == "support_reply"]
            return rows if len(rows) == 2 else []

        # Rendering and delivery of a support reply: services/notifications/tests/api/test_delivery.py.
        inbox = _eventually(delivered, "the reply's notification (in-app and e-mail)")
        listed = _eventually(lambda: [t for t in client.get(f"{URL}/threads", headers=participant.headers).json()
                                      if t["message_count"] == 2], "the thread in the view")
    finally:
        worker.terminate()
        worker.wait(30)

    assert [t["id"] for t in listed] == [thread["id"]]
    by_channel = {n["channel"]: n for n in inbox}
    assert set(by_channel) == {"in_app", "email"} and len(inbox) == 2
