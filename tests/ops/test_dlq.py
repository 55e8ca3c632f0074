"""`planner-ops dlq`: a poison message shows with its error and original offset; once the consumer is fixed,
`dlq retry` sends it back, it is applied, and it leaves the list. One not yet fixed comes back to the list."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from contracts import Envelope
from contracts.topics import dlq
from spine.errors import Poison
from spine.projector import SqlProjection
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, unique_topic
from spine.worker import Worker

from ops_support import envelope, planner_ops, send, until

pytestmark = pytest.mark.integration


class Greetings(SqlProjection):
    """A read model with a bug: it cannot take a name starting with "poison" until `fixed`."""

    name = "greetings"
    fixed = False

    def __init__(self, topic: str):
        self.topics = (topic,)

    def create_schema(self, cur):
        cur.execute("CREATE TABLE IF NOT EXISTS greetings (id text PRIMARY KEY, name text NOT NULL)")

    def reset(self, cur):
        cur.execute("TRUNCATE greetings")

    def apply(self, cur, envelope: Envelope):
        if envelope.payload["name"].startswith("poison") and not Greetings.fixed:
            raise Poison("names starting with poison are not supported yet")
        cur.execute("INSERT INTO greetings VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
                    (envelope.aggregate_id, envelope.payload["name"]))


class Settings(InfraSettings):
    database: str


def test_a_fixed_poison_message_is_retried_applied_and_leaves_the_list():
    topic = unique_topic("ops_dlq")
    create_topics(topic, dlq(topic), partitions=2)
    Greetings.fixed = False
    with fresh_database("ops_dlq") as db:
        settings = Settings(database=db)

        def names() -> dict[str, str]:
            with psycopg.connect(settings.conninfo(db)) as conn:
                return dict(conn.execute("SELECT id, name FROM greetings").fetchall())

        def listed() -> list[dict]:
            ran = planner_ops("dlq", "list", topic, "--json")
            assert ran.code == 0, ran.stderr
            return ran.json_lines()

        ok, first, second = (envelope(name="Ada"), envelope(name="poison one"), envelope(name="poison two"))

        async def scenario():
            worker = Worker("ops_dlq", settings).add_projection(Greetings(topic), db)
            await worker.start()
            try:
                landed = await send(settings, topic, ok, first, second)
                entries = await until(lambda: (e := listed()) and len(e) == 2 and e)
                assert names() == {ok.aggregate_id: "Ada"}
                by_aggregate = {e["aggregate_id"]: e for e in entries}
                for env, meta in ((first, landed[1]), (second, landed[2])):
                    entry = by_aggregate[env.aggregate_id]
                    assert (entry["original_topic"], entry["original_partition"], entry["original_offset"]) == \
                        (topic, meta.partition, meta.offset)
                    assert "names starting with poison are not supported yet" in entry["error"]
                    assert entry["consumer_group"] == "ops_dlq.greetings" and entry["type"] == "Renamed"
                table = planner_ops("dlq", "list", topic)
                assert "2 dead-lettered message(s)" in table.stdout and "Poison" in table.stdout

                # Not fixed yet: the retried message fails again and is back on the list, at its new offset.
                again = planner_ops("dlq", "retry", topic, "--id", by_aggregate[second.aggregate_id]["id"])
                assert again.code == 0, again.stderr
                before = {x["original_offset"] for x in entries}
                back = await until(lambda: (e := listed()) and len(e) == 2
                                   and {x["original_offset"] for x in e} != before and e)
                second_entry = next(e for e in back if e["aggregate_id"] == second.aggregate_id)
                assert second_entry["id"] != by_aggregate[second.aggregate_id]["id"]

                # Fixed: retrying one entry applies it and leaves only the other on the list.
                Greetings.fixed = True
                retried = planner_ops("dlq", "retry", topic, "--id", by_aggregate[first.aggregate_id]["id"])
                assert retried.code == 0, retried.stderr
                first_id = by_aggregate[first.aggregate_id]["id"]
                assert retried.stdout.startswith(f"retried {first_id} (Renamed) → {topic}[")
                await until(lambda: names().get(first.aggregate_id) == "poison one")
                assert [e["aggregate_id"] for e in listed()] == [second.aggregate_id]

                # The rest: `retry` without --id takes every listed entry.
                assert planner_ops("dlq", "retry", topic).code == 0
                await until(lambda: names().get(second.aggregate_id) == "poison two")
                assert listed() == []
                assert "0 dead-lettered message(s)" in planner_ops("dlq", "list", f"{topic}.dlq").stdout
            finally:
                await worker.stop()

        asyncio.run(scenario())


def test_retrying_an_id_that_is_not_listed_is_one_line():
    topic = unique_topic("ops_dlq")
    create_topics(topic, dlq(topic), partitions=1)
    ran = planner_ops("dlq", "retry", topic, "--id", "0:42")
    assert ran.code == 2
    assert ran.stderr.strip() == f"planner-ops: no such entry in {topic}.dlq: 0:42 (see `planner-ops dlq list`)"


def test_retrying_without_write_rights_is_one_line_and_changes_nothing():
    """`ops` may only read: a retry authenticated as it is refused by the broker's ACLs, and stays listed."""
    import os

    topic = "users.v1"  # a topic `ops` may read: the refusal must come from the missing write right
    entry = envelope("UserRegistered", name="x")
    landed = asyncio.run(send(InfraSettings(), dlq(topic), entry))
    meta = landed[0]
    as_ops = {"KAFKA_ADMIN_USERNAME": "ops", "KAFKA_ADMIN_PASSWORD": os.environ["KAFKA_OPS_PASSWORD"],
              "KAFKA_USERNAME": "ops", "KAFKA_PASSWORD": os.environ["KAFKA_OPS_PASSWORD"]}
    ran = planner_ops("dlq", "retry", topic, "--id", f"{meta.partition}:{meta.offset}", env=as_ops)
    assert ran.code != 0 and "Traceback" not in ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    assert line.startswith("planner-ops: Kafka refused: ") and "Authorization" in line
    listed = planner_ops("dlq", "list", topic, "--json", env=as_ops).json_lines()
    assert f"{meta.partition}:{meta.offset}" in {e["id"] for e in listed}
    # Settle the fake entry (a marker, as a retry writes) so users.v1.dlq lists nothing of this test.
    asyncio.run(settle(dlq(topic), f"{meta.partition}:{meta.offset}"))
    listed = planner_ops("dlq", "list", topic, "--json").json_lines()
    assert f"{meta.partition}:{meta.offset}" not in {e["id"] for e in listed}


async def settle(dlq_topic: str, entry_id: str) -> None:
    from aiokafka import AIOKafkaProducer

    settings = InfraSettings()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await producer.start()
    try:
        await producer.send_and_wait(dlq_topic, b"{}", headers=[("dlq_retried", entry_id.encode())])
    finally:
        await producer.stop()
