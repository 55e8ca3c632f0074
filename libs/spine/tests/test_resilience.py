"""No message is lost to a passing outage, and none is applied and dead-lettered: real PostgreSQL and Kafka.

Given events relayed to a topic and a handler that saves aggregates with each message's position:
* a version conflict that keeps coming back (another writer on the same aggregate) is retried with
  backoff, the partition paused, until it goes through; nothing goes to the DLQ;
* a message the handler can never apply (`Poison`) goes to the DLQ with its position recorded and no
  effect, the messages around it are applied, and the service's health reports it;
* the relay parks a record it can never publish (too large for Kafka, or untranslatable), publishes
  everything after it, and the service's health reports the parked record;
* a partition stuck on an outage raises an alarm in health, cleared once the message goes through;
* a projection meeting a value its columns cannot hold dead-letters that message, keeps the row with its
  last good value, and applies what comes after.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from contracts import Envelope
from contracts.topics import dlq
from contracts.users import UserRegistered
from spine import health
from spine.errors import Poison, Transient
from spine.eventstore import ServiceApplication, postgres_env
from spine.handlers import tracking_name
from spine.projector import SqlProjection
from spine.relay import Relay
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, producer, read_topic, unique_topic
from spine.worker import Worker
from webkit.app import create_app

pytestmark = pytest.mark.integration

TALLY = uuid5(NAMESPACE_URL, "/tally")


class Member(Aggregate):
    @event("Joined")
    def __init__(self, email: str, full_name: str = "M"):
        self.email = email
        self.full_name = full_name


class Seen(Aggregate):
    """What the handler makes for each message it applies."""

    @staticmethod
    def create_id(email: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/seen/{email}")

    @event("Seen")
    def __init__(self, email: str):
        self.email = email


class Tally(Aggregate):
    """One aggregate every message touches: a second writer on it makes real version conflicts."""

    @staticmethod
    def create_id() -> UUID:
        return TALLY

    @event("Opened")
    def __init__(self):
        self.count = 0

    @event("Counted")
    def add(self, by: str):
        self.count += 1


class Club(ServiceApplication):
    name = "club"


class ClubSettings(InfraSettings):
    database: str


def to_public(domain_event):
    if isinstance(domain_event, Member.Joined):
        if domain_event.email.startswith("untranslatable"):
            raise ValueError("no public form for this member")
        return UserRegistered(user_id=domain_event.originator_id, email=domain_event.email,
                              full_name=domain_event.full_name, role="participant",
                              registered_at=domain_event.timestamp)
    return None


class Counting:
    """Saves a Seen per message and counts it on the Tally; a rival writer bumps the Tally first `rivalry`
    times (each a real version conflict in PostgreSQL); members named poison* can never be applied."""

    name = "counting"

    def __init__(self, app: Club, rival: Club, topic: str, rivalry: int = 0):
        self.app, self.rival, self.topics, self.rivalry = app, rival, (topic,), rivalry
        self.conflicts = 0
        self.lock = threading.Lock()

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        email = envelope.payload["email"]
        if email.startswith("poison"):
            raise Poison(f"{email} breaks a rule that will never pass")
        tally = self.app.repository.get(TALLY)
        tally.add(by=email)
        with self.lock:
            if self.conflicts < self.rivalry:
                self.conflicts += 1
                theirs = self.rival.repository.get(TALLY)
                theirs.add(by="rival")
                self.rival.save(theirs)
        self.app.save_tracked(tally, Seen(email), tracking=tracking)


@pytest.fixture
def world():
    with fresh_database("spine") as db:
        settings = ClubSettings(database=db)
        topic = unique_topic("spine")
        create_topics(topic, dlq(topic), partitions=1)
        app, rival = Club(env=postgres_env(db, settings)), Club(env=postgres_env(db, settings))
        app.save(Tally())
        yield settings, db, topic, app, rival


async def until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)
    return result


def seen(app: Club, email: str) -> bool:
    return Seen.create_id(email) in app.repository


def test_a_version_conflict_that_keeps_coming_back_is_retried_until_applied_and_never_dead_lettered(world):
    settings, db, topic, app, rival = world
    emails = [f"m{i}@example.com" for i in range(6)]
    for email in emails:
        app.save(Member(email))
    # More conflicts than the handler's quick retries: the consumer itself must pause and come back.
    handler = Counting(app, rival, topic, rivalry=25)

    async def scenario():
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings)).add_handler(handler, app)
        await worker.start()
        try:
            await until(lambda: all(seen(app, e) for e in emails))
            report = worker.health()
        finally:
            await worker.stop()
        assert handler.conflicts == 25
        assert report["counters"]["retries"] >= 1  # the partition was paused and retried at least once
        assert await read_topic(settings, dlq(topic), 1, timeout=2) == []
        tally = app.repository.get(TALLY)
        assert tally.count == len(emails) + 25  # each message counted exactly once, plus the rival's writes
        assert health.read_alarms(settings.conninfo(db)) == []

    asyncio.run(scenario())


def test_a_poison_message_goes_to_the_dlq_with_its_position_recorded_and_no_effect(world):
    settings, db, topic, app, rival = world
    emails = ["a@example.com", "poison@example.com", "b@example.com"]
    for email in emails:
        app.save(Member(email))
    handler = Counting(app, rival, topic)

    async def scenario():
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings)).add_handler(handler, app)
        await worker.start()
        try:
            await until(lambda: seen(app, "a@example.com") and seen(app, "b@example.com"))
            dead = await read_topic(settings, dlq(topic), 1)
        finally:
            await worker.stop()
        assert [Envelope.from_bytes(r.value).payload["email"] for r in dead] == ["poison@example.com"]
        headers = dict(dead[0].headers)
        assert b"Poison" in headers["error"] and headers["original_topic"] == topic.encode()
        poison_offset = int(headers["original_offset"])
        # Position recorded (a restart does not meet it again), effect absent.
        assert app.process_recorder.has_tracking_id(tracking_name("counting", topic, 0), poison_offset)
        assert not seen(app, "poison@example.com")
        assert app.repository.get(TALLY).count == 2
        # The api's health check reports the dead letter.
        api = create_app("club", title="club", version="1", routers=[], health=health.reader(settings.conninfo(db)))
        body = TestClient(api).get("/health/club").json()
        assert body["status"] == "degraded"
        assert [a["kind"] for a in body["alarms"]] == ["dead_lettered"]

    asyncio.run(scenario())


def test_the_relay_parks_what_it_cannot_publish_goes_on_and_reports_it(world):
    settings, db, topic, app, rival = world
    app.save(Member("before@example.com"))
    app.save(Member("huge@example.com", full_name="x" * 1_100_000))  # over Kafka's 1 MB request limit
    app.save(Member("untranslatable@example.com"))
    app.save(Member("after@example.com"))
    api = create_app("club", title="club", version="1", routers=[], health=health.reader(settings.conninfo(db)))
    assert TestClient(api).get("/health/club").json() == {"status": "ok"}

    async def scenario():
        relay = Relay(app, topic, to_public, settings)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            records = await read_topic(settings, topic, 2)
            await until(lambda: relay.position() == app.recorder.max_notification_id())
        finally:
            stop.set()
            await task
        assert [Envelope.from_bytes(r.value).payload["email"] for r in records] == [
            "before@example.com", "after@example.com"]
        assert len(relay.parked_ids()) == 2

    asyncio.run(scenario())
    body = TestClient(api).get("/health/club").json()
    assert body["status"] == "degraded"
    (alarm,) = body["alarms"]
    assert alarm["kind"] == "relay_parked" and alarm["occurrences"] == 2
    assert health.clear_alarm(settings.conninfo(db), alarm["source"])
    assert TestClient(api).get("/health/club").json() == {"status": "ok"}


class Flaky:
    """A handler whose provider is down until the test says it is back (raises `Transient` meanwhile)."""

    name = "flaky"

    def __init__(self, app: Club, topic: str):
        self.app, self.topics = app, (topic,)
        self.down = threading.Event()
        self.down.set()
        self.tries = 0

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        self.tries += 1
        if self.down.is_set():
            raise ProviderDown("the provider answers 503")
        self.app.save_tracked(Seen(envelope.payload["email"]), tracking=tracking)


class ProviderDown(Transient):
    pass


def test_a_partition_stuck_on_an_outage_raises_an_alarm_that_clears_when_it_goes_through(world):
    settings, db, topic, app, rival = world
    settings = settings.model_copy(update={"consumer_alarm_after_seconds": 0.5, "consumer_retry_max_seconds": 0.5})
    app.save(Member("waiting@example.com"))
    handler = Flaky(app, topic)
    api = create_app("club", title="club", version="1", routers=[], health=health.reader(settings.conninfo(db)))

    async def scenario():
        worker = Worker("club", settings).add_relay(Relay(app, topic, to_public, settings)).add_handler(handler, app)
        await worker.start()
        try:
            body = await until(lambda: (b := TestClient(api).get("/health/club").json())["status"] == "degraded" and b)
            assert [a["kind"] for a in body["alarms"]] == ["consumer_stalled"]
            assert "detail" not in body["alarms"][0]  # the public route names the alarm, not its error text
            assert "ProviderDown" in health.read_alarms(settings.conninfo(db))[0]["detail"]  # operators see it
            assert not seen(app, "waiting@example.com")
            handler.down.clear()  # the provider is back
            await until(lambda: seen(app, "waiting@example.com"))
            await until(lambda: TestClient(api).get("/health/club").json() == {"status": "ok"})
        finally:
            await worker.stop()
        assert await read_topic(settings, dlq(topic), 1, timeout=2) == []

    asyncio.run(scenario())


class Names(SqlProjection):
    """A read model whose column holds at most 20 characters: a longer name is a value it cannot take."""

    name = "names"

    def __init__(self, topic: str):
        self.topics = (topic,)

    def create_schema(self, cur):
        cur.execute("CREATE TABLE IF NOT EXISTS names (id uuid PRIMARY KEY, name varchar(20) NOT NULL)")

    def reset(self, cur):
        cur.execute("TRUNCATE names")

    def apply(self, cur, envelope: Envelope):
        cur.execute("INSERT INTO names VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
                    (envelope.aggregate_id, envelope.payload["name"]))


def test_a_projection_meeting_a_bad_value_records_it_goes_on_and_keeps_the_row(world):
    settings, db, topic, app, rival = world
    member = str(uuid4())

    def renamed(version: int, name: str) -> Envelope:
        return Envelope(event_id=uuid4(), type="Renamed", version=1, aggregate_id=member, aggregate_version=version,
                        occurred_at=datetime.now(UTC), payload={"name": name})

    def name_of() -> str | None:
        with psycopg.connect(settings.conninfo(db)) as conn:
            row = conn.execute("SELECT name FROM names WHERE id = %s", (member,)).fetchone()
        return row[0] if row else None

    async def scenario():
        worker = Worker("club", settings).add_projection(Names(topic), db)
        await worker.start()
        try:
            async with producer(settings) as p:
                for envelope in (renamed(1, "Ada"), renamed(2, "A" * 50)):
                    await p.send_and_wait(topic, envelope.to_bytes(), key=member.encode())
                dead = await read_topic(settings, dlq(topic), 1, timeout=30)
                assert name_of() == "Ada"  # the row stays, with its last good value
                await p.send_and_wait(topic, renamed(3, "Ada L.").to_bytes(), key=member.encode())
            await until(lambda: name_of() == "Ada L.")
        finally:
            await worker.stop()
        assert [Envelope.from_bytes(r.value).aggregate_version for r in dead] == [2]
        assert b"StringDataRightTruncation" in dict(dead[0].headers)["error"]
        assert [a["kind"] for a in health.read_alarms(settings.conninfo(db))] == ["dead_lettered"]

    asyncio.run(scenario())


class CommitsThenFails:
    """Saves its effect with the position, then fails (a crash of the code after the commit)."""

    name = "commits-then-fails"

    def __init__(self, app: Club, topic: str):
        self.app, self.topics = app, (topic,)

    def handle(self, envelope: Envelope, tracking: Tracking) -> None:
        self.app.save_tracked(Seen(envelope.payload["email"]), tracking=tracking)
        raise Poison("fails after its effect was committed")


def test_a_message_whose_effect_committed_is_never_dead_lettered_too(world):
    settings, db, topic, app, rival = world
    app.save(Member("done@example.com"))
    app.save(Member("next@example.com"))

    async def scenario():
        worker = (Worker("club", settings).add_relay(Relay(app, topic, to_public, settings))
                  .add_handler(CommitsThenFails(app, topic), app))
        await worker.start()
        try:
            await until(lambda: seen(app, "done@example.com") and seen(app, "next@example.com"))
            await asyncio.sleep(0.5)  # let a wrong dead-letter surface, if there were one
        finally:
            await worker.stop()
        assert await read_topic(settings, dlq(topic), 1, timeout=2) == []

    asyncio.run(scenario())
