"""Health that means something, against real PostgreSQL and Kafka.

* A relay whose store has new events while its position does not move (here: its leader lock is held by a
  hung replica) makes the worker and the service's public health `unhealthy` (503) with a `relay_stuck`
  alarm, and both are healthy again once it moves.
* A consumer partition that is behind and stopped polling (paused behind the subscription's back) is
  `consumer_stopped`, and healthy again once it resumes.
* The worker's listener serves the named metric families, and a handled message shows in them.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from contracts import Envelope
from contracts.topics import dlq
from contracts.users import UserRegistered
from spine import health
from spine.eventstore import ServiceApplication, postgres_env
from spine.relay import Relay
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker
from webkit.app import create_app

pytestmark = pytest.mark.integration


class Member(Aggregate):
    @event("Joined")
    def __init__(self, email: str):
        self.email = email


class Club(ServiceApplication):
    name = "club"


class ClubSettings(InfraSettings):
    database: str


def to_public(domain_event):
    if isinstance(domain_event, Member.Joined):
        return UserRegistered(user_id=domain_event.originator_id, email=domain_event.email, full_name="M",
                              role="participant", registered_at=domain_event.timestamp)
    return None


class Noting:
    """Records each message's position (nothing else to save): the simplest handler."""

    name = "noting"

    def __init__(self, app: Club, topic: str):
        self.app, self.topics = app, (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        self.app.process_recorder.insert_tracking(tracking)


@pytest.fixture
def world():
    with fresh_database("liveness") as db:
        settings = ClubSettings(database=db, relay_stuck_after_seconds=1.0, consumer_alarm_after_seconds=1.0,
                                health_check_seconds=0.2)
        topic = unique_topic("liveness")
        create_topics(topic, dlq(topic), partitions=1)
        yield settings, db, topic, Club(env=postgres_env(db, settings))


async def until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)
    return result


def listener(worker: Worker, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{worker.listener.port}{path}", timeout=5)


def api_health(api) -> tuple[int, dict]:
    r = TestClient(api).get("/health/club")
    return r.status_code, r.json()


def test_a_relay_stuck_behind_new_events_is_unhealthy_until_it_moves_again(world):
    settings, db, topic, app = world
    api = create_app("club", title="club", version="1", routers=[], health=health.reader(settings.conninfo(db)))
    app.save(Member("first@example.com"))

    async def scenario():
        # A hung replica holds the relay's leader lock: this worker's relay waits behind it.
        hung = await psycopg.AsyncConnection.connect(settings.conninfo(db), autocommit=True)
        await hung.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"relay:{topic}",))
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings))
        worker.listen_port = 0
        await worker.start()
        try:
            detail = await until(lambda: (d := listener(worker, "/health/detail").json())["relays"][topic].get(
                "status") == "stuck" and d)
            assert detail["status"] == "unhealthy" and detail["relays"][topic]["behind"] >= 1
            r = listener(worker, "/health")
            assert (r.status_code, r.json()) == (503, {"status": "unhealthy"})  # terse: no internals
            assert f'ep_relay_stuck{{relay="{topic}"}} 1.0' in listener(worker, "/metrics").text
            code, body = await until(lambda: (h := api_health(api))[0] == 503 and h)
            assert body["status"] == "unhealthy" and [a["kind"] for a in body["alarms"]] == ["relay_stuck"]
            assert "detail" not in body["alarms"][0]

            await hung.close()  # the hung replica goes away: the relay takes over and publishes
            await until(lambda: (d := listener(worker, "/health/detail").json())["status"] == "ok"
                        and d["relays"][topic]["behind"] == 0)
            assert listener(worker, "/health").status_code == 200
            assert await until(lambda: api_health(api) == (200, {"status": "ok"}))
            assert f'ep_relay_stuck{{relay="{topic}"}} 0.0' in listener(worker, "/metrics").text
        finally:
            await worker.stop()
            await hung.close()

    asyncio.run(scenario())


def test_a_consumer_that_stopped_polling_while_behind_is_unhealthy_until_it_moves(world):
    settings, db, topic, app = world
    app.save(Member("one@example.com"))
    handler = Noting(app, topic)
    group = "club.noting"

    async def scenario():
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings)).add_handler(handler, app)
        worker.listen_port = 0
        await worker.start()
        (subscription,) = worker.subscriptions
        try:
            await until(lambda: subscription.next_offsets and max(subscription.next_offsets.values()) == 1)
            metrics = listener(worker, "/metrics").text
            for family in ("ep_consumer_lag_messages", "ep_consumer_batch_size", "ep_consumer_batch_seconds",
                           "ep_consumer_event_lag_seconds", "ep_relay_position", "ep_relay_publish_seconds",
                           "ep_dlq_messages", "ep_consumer_messages"):
                assert re.search(rf"^{family}(_total|_bucket)?{{", metrics, re.M), family
            assert (f'ep_consumer_messages_total{{group="{group}",kind="handler",outcome="applied",'
                    f'type="UserRegistered"}} 1.0') in metrics

            consumer = subscription.subscriber.consumer
            (tp,) = consumer.assignment()
            consumer.pause(tp)  # stops fetching it, behind the subscription's back: as if polling stopped
            app.save(Member("two@example.com"))
            detail = await until(lambda: (d := listener(worker, "/health/detail").json())["consumers"][group][
                "status"] == "stopped" and d)
            assert detail["status"] == "unhealthy" and listener(worker, "/health").status_code == 503
            partition = detail["consumers"][group]["partitions"][f"{topic}[0]"]
            assert partition["stopped"] and partition["lag"] == 1, detail
            assert [a["kind"] for a in health.read_alarms(settings.conninfo(db))] == ["consumer_stopped"]

            consumer.resume(tp)
            await until(lambda: (d := listener(worker, "/health/detail").json())["status"] == "ok"
                        and d["consumers"][group]["status"] == "ok")
            assert listener(worker, "/health").json() == {"status": "ok"}
            assert health.read_alarms(settings.conninfo(db)) == []
            assert f'ep_consumer_lag_messages{{group="{group}",partition="0",topic="{topic}"}} 0.0' in \
                listener(worker, "/metrics").text
        finally:
            await worker.stop()

    asyncio.run(scenario())


def test_a_stuck_alarm_left_by_a_killed_worker_is_cleared_by_the_next_one_when_all_moves(world):
    settings, db, topic, app = world
    api = create_app("club", title="club", version="1", routers=[], health=health.reader(settings.conninfo(db)))
    health.Alarms(settings.conninfo(db)).raise_alarm(f"relay_stuck:{topic}", "relay_stuck", "from a killed worker")
    assert api_health(api)[0] == 503
    app.save(Member("later@example.com"))

    async def scenario():
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings))
        await worker.start()
        try:
            assert await until(lambda: api_health(api) == (200, {"status": "ok"}))
            await until(lambda: worker.health()["relays"][topic].get("behind") == 0)
        finally:
            await worker.stop()

    asyncio.run(scenario())
