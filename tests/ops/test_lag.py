"""`planner-ops lag`: 0 after quiescence, > 0 while a consumer is stopped (consumer group and projection), and a
relay behind its event store — or parking a record it cannot publish — shows first."""

from __future__ import annotations

import asyncio

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from contracts import Envelope
from contracts.users import UserRegistered
from spine.eventstore import ServiceApplication, postgres_env
from spine.projector import SqlProjection
from spine.relay import Relay
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker

from ops_support import envelope, planner_ops, send, until

pytestmark = pytest.mark.integration


class Settings(InfraSettings):
    database: str


class Names(SqlProjection):
    name = "names"

    def __init__(self, topic: str):
        self.topics = (topic,)

    def create_schema(self, cur):
        cur.execute("CREATE TABLE IF NOT EXISTS names (id text PRIMARY KEY, name text NOT NULL)")

    def reset(self, cur):
        cur.execute("TRUNCATE names")

    def apply(self, cur, envelope: Envelope):
        cur.execute("INSERT INTO names VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
                    (envelope.aggregate_id, envelope.payload["name"]))


def lag_of(db: str, topic: str) -> tuple[dict, dict]:
    """(the consumer group's row, the projection's row) for `topic`, from `planner-ops lag --json`."""
    import json

    ran = planner_ops("lag", "--json", "--database", db)
    assert ran.code == 0, ran.stderr
    report = json.loads(ran.stdout)
    (group,) = [g for g in report["consumer_groups"] if g["topic"] == topic]
    (projection,) = [p for p in report["projections"] if p["topic"] == topic]
    return group, projection


def test_consumer_lag_is_zero_after_quiescence_and_grows_while_the_consumer_is_stopped():
    topic = unique_topic("ops_lag")
    create_topics(topic, partitions=2)
    with fresh_database("ops_lag") as db:
        settings = Settings(database=db)

        async def scenario():
            worker = Worker("ops_lag", settings).add_projection(Names(topic), db)
            await worker.start()
            try:
                await send(settings, topic, *(envelope(name=f"n{i}") for i in range(5)))
                group, projection = await until(lambda: (r := lag_of(db, topic)) and r[0]["lag"] == 0
                                                and r[1]["lag"] == 0 and r)
                assert group["name"] == "ops_lag.names" and group["members"] == 1
                assert group["oldest_unconsumed_seconds"] == 0 and projection["name"] == "names"
            finally:
                await worker.stop()
            await send(settings, topic, *(envelope(name=f"late{i}") for i in range(3)))
            group, projection = lag_of(db, topic)
            assert (group["lag"], group["members"]) == (3, 0)
            assert projection["lag"] == 3 and projection["database"] == db
            assert group["oldest_unconsumed_seconds"] >= 0 and projection["oldest_unconsumed_seconds"] >= 0
            table = planner_ops("lag", "--database", db)
            assert "ops_lag.names" in table.stdout and "oldest unconsumed" in table.stdout

            worker = Worker("ops_lag", settings).add_projection(Names(topic), db)
            await worker.start()
            try:
                await until(lambda: (r := lag_of(db, topic)) and r[0]["lag"] == 0 and r[1]["lag"] == 0)
            finally:
                await worker.stop()

        asyncio.run(scenario())


class Member(Aggregate):
    @event("Joined")
    def __init__(self, email: str):
        self.email = email


class Club(ServiceApplication):
    name = "club"


def to_public(domain_event):
    if domain_event.email.startswith("untranslatable"):
        raise ValueError("no public form for this member")
    return UserRegistered(user_id=domain_event.originator_id, email=domain_event.email, full_name="M",
                          role="participant", registered_at=domain_event.timestamp)


def relays_of(db: str, *extra: str) -> list[dict]:
    import json

    ran = planner_ops("lag", "--json", "--database", db, *extra)
    assert ran.code == 0, ran.stderr
    return json.loads(ran.stdout)["relays"]


def test_a_relay_behind_its_event_store_shows_and_a_parked_record_comes_first():
    stuck_topic, parking_topic = unique_topic("ops_relay"), unique_topic("ops_relay")
    create_topics(stuck_topic, parking_topic, partitions=1)
    with fresh_database("ops_relay") as db:
        settings = Settings(database=db)
        app = Club(env=postgres_env(db, settings))
        for email in ("a@example.com", "untranslatable@example.com", "c@example.com"):
            app.save(Member(email))
        # One relay got as far as the first record and then stopped (a worker that hangs, a broker that refuses).
        app.process_recorder.insert_tracking(Tracking(f"relay:{stuck_topic}", 1))

        # Another one ran: it parked the record it cannot translate and published the rest.
        async def run_relay():
            relay = Relay(app, parking_topic, to_public, settings)
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            await until(lambda: relay.position() == app.recorder.max_notification_id(), timeout=30)
            stop.set()
            await task

        asyncio.run(run_relay())
        relays = relays_of(db, "--stale", "0s")
        assert [(r["relay"], r["status"]) for r in relays] == [(f"relay:{parking_topic}", "PARKED"),
                                                                (f"relay:{stuck_topic}", "STUCK")]
        parked, stuck = relays
        assert (parked["behind"], parked["parked"]) == (0, 1)
        assert (stuck["position"], stuck["head"], stuck["behind"], stuck["oldest_unpublished_id"]) == (1, 3, 2, 2)
        assert stuck["oldest_unpublished_seconds"] >= 0
        # Within the grace period a relay that is behind is only catching up.
        assert {r["status"] for r in relays_of(db, "--stale", "1h")} == {"PARKED", "behind"}
        table = planner_ops("lag", "--database", db, "--stale", "0s", "--check")
        assert table.code == 1  # for cron: a relay needs an operator
        assert table.stdout.index("PARKED") < table.stdout.index("STUCK") < table.stdout.index("Consumer groups")
