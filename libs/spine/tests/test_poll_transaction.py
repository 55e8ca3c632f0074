"""One transaction per poll: a projection applies every partition's batch of a poll, with all positions, at once.

Real PostgreSQL (the sink's store) and real Kafka (a subscription reading three partitions).
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg
import pytest

from contracts import Envelope
from contracts.topics import dlq
from spine.projector import ProjectionSink, ProjectionStore, SqlProjection
from spine.settings import InfraSettings
from spine.testing import create_topics, fresh_database, producer, unique_topic
from spine.worker import Worker

pytestmark = pytest.mark.integration


class Names(SqlProjection):
    name = "names"

    def __init__(self, topic: str):
        self.topics = (topic,)

    def create_schema(self, cur):
        cur.execute("CREATE TABLE IF NOT EXISTS names (id text PRIMARY KEY, name varchar(10), applied int)")

    def reset(self, cur):
        cur.execute("TRUNCATE names")

    def apply(self, cur, envelope: Envelope):
        cur.execute("INSERT INTO names VALUES (%s, %s, 1) ON CONFLICT (id) DO UPDATE "
                    "SET name = EXCLUDED.name, applied = names.applied + 1",
                    (envelope.aggregate_id, envelope.payload["name"]))


def named(name: str, version: int = 1) -> Envelope:
    return Envelope(type="Named", aggregate_id=str(uuid4()), aggregate_version=version, payload={"name": name})


@pytest.fixture
def store():
    with fresh_database("poll") as db:
        s = ProjectionStore(InfraSettings().conninfo(db))
        yield s, db
        s.close()


def state(db: str) -> tuple[dict[str, int], list[tuple[int, int]]]:
    with psycopg.connect(InfraSettings().conninfo(db)) as conn:
        names = dict(conn.execute("SELECT name, applied FROM names").fetchall())
        positions = conn.execute("SELECT partition, next_offset FROM projection_positions ORDER BY 1").fetchall()
    return names, positions


def test_a_poll_commits_all_partitions_and_positions_together_or_nothing(store):
    s, db = store
    sink = ProjectionSink(Names("t"), s)
    s.setup(sink.projection)
    sink.apply_poll({("t", 0): [(0, named("ada")), (1, named("bob"))], ("t", 1): [(5, named("cy"))]})
    assert state(db) == ({"ada": 1, "bob": 1, "cy": 1}, [(0, 2), (1, 6)])
    # One partition's batch cannot be applied (a name too long for its column): the other's is not kept either.
    with pytest.raises(psycopg.errors.StringDataRightTruncation):
        sink.apply_poll({("t", 0): [(2, named("dee"))], ("t", 1): [(6, named("x" * 20))]})
    assert state(db) == ({"ada": 1, "bob": 1, "cy": 1}, [(0, 2), (1, 6)])
    # The same poll again (redelivery) changes nothing.
    sink.apply_poll({("t", 0): [(0, named("ada")), (1, named("bob"))], ("t", 1): [(5, named("cy"))]})
    assert state(db)[1] == [(0, 2), (1, 6)]


def test_a_poisoned_partition_in_a_poll_is_isolated_and_the_others_are_applied(store):
    s, db = store
    settings = InfraSettings()
    topic = unique_topic("poll")
    create_topics(topic, dlq(topic), partitions=3)

    async def scenario():
        async with producer(settings) as p:
            for partition in range(3):
                for i in range(3):
                    name = "y" * 20 if (partition, i) == (1, 1) else f"p{partition}m{i}"
                    await p.send_and_wait(topic, named(name).to_bytes(), partition=partition)
        worker = Worker("poll", settings).add_projection(Names(topic), db)
        await worker.start()
        try:
            for _ in range(300):
                names, positions = await asyncio.to_thread(state, db)
                if len(names) == 8 and positions == [(0, 3), (1, 3), (2, 3)]:
                    break
                await asyncio.sleep(0.1)
        finally:
            await worker.stop()
        return await asyncio.to_thread(state, db)

    names, positions = asyncio.run(scenario())
    assert sorted(names) == sorted(f"p{p}m{i}" for p in range(3) for i in range(3) if (p, i) != (1, 1))
    assert set(names.values()) == {1}
    assert positions == [(0, 3), (1, 3), (2, 3)]
