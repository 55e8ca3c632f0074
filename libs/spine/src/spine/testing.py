"""Test helpers for the real PostgreSQL and Kafka that `make test` starts: throwaway databases and topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spine.settings import InfraSettings


@contextlib.contextmanager
def fresh_database(prefix: str = "test", settings: InfraSettings | None = None) -> Iterator[str]:
    """Create an empty database with a unique name; drop it afterwards."""
    s = settings or InfraSettings()
    name = f"{prefix}_{uuid4().hex[:10]}"
    with psycopg.connect(s.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(s.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_topics(*names: str, partitions: int = 3, settings: InfraSettings | None = None) -> None:
    """Create Kafka topics (event-topic retention) for one test."""
    s = settings or InfraSettings()

    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers, **s.kafka_client_options())
        await admin.start()
        try:
            await admin.create_topics([NewTopic(n, partitions, 1, topic_configs={"retention.ms": "-1"}) for n in names])
        finally:
            await admin.close()

    asyncio.run(go())


def unique_topic(prefix: str = "test") -> str:
    """A topic name no other test uses."""
    return f"{prefix}.{uuid4().hex[:8]}.v1"


async def read_topic(settings: InfraSettings, topic: str, expect: int, timeout: float = 15.0) -> list[Any]:
    """Every record of `topic` from the beginning, until `expect` came or `timeout` passed (no group, no commit)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None, **settings.kafka_client_options())
    await consumer.start()
    got: list[Any] = []
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while len(got) < expect and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                got.extend(records)
    finally:
        await consumer.stop()
    return got


@contextlib.asynccontextmanager
async def producer(settings: InfraSettings) -> Any:
    """A started producer with the test principal's credentials; stopped afterwards."""
    p = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options())
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


def view_rows(conninfo: str, view: Any, schema: str) -> dict[str, list[Any]]:
    """Every row of a view's tables in one schema, as JSON, in primary-key order."""
    rows: dict[str, list[Any]] = {}
    with psycopg.connect(conninfo) as conn:
        for table in view.tables:
            key = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            rows[table.name] = [r[0] for r in conn.execute(
                f'SELECT to_jsonb(t) FROM "{schema}"."{table.name}" t ORDER BY {key}')]
    return rows


def _rows_after(conninfo: str, make_view: Any, apply: Any, prefix: str) -> dict[str, list[Any]]:
    """The rows a fresh view has after `apply(store, view)`, in a throwaway schema dropped afterwards."""
    from spine.projector import ProjectionStore

    schema = f"{prefix}_{uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    store, view = ProjectionStore(conninfo, schema=schema), make_view()
    try:
        store.setup(view)
        apply(store, view)
        return view_rows(conninfo, view, schema)
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def check_redelivery(conninfo: str, make_view: Any, envelopes: list[Any], topic: str = "t") -> dict[str, list[Any]]:
    """Assert a view is idempotent under redelivery; returns its rows after applying `envelopes` once.

    The same rows result from: the messages in one batch; each in its own batch; the same offsets delivered
    again; the same events re-published at new offsets (the relay after a crash); and the view's own SQL
    applied twice over without the positions and version claims (its per-row guards alone).
    """
    def build(apply: Any) -> dict[str, list[Any]]:
        return _rows_after(conninfo, make_view, apply, "redelivery")

    numbered = list(enumerate(envelopes))
    n = len(envelopes)

    def once(store: Any, view: Any) -> None:
        store.apply_batch(view, topic, 0, numbered)

    def one_by_one_then_again(store: Any, view: Any) -> None:
        for offset, envelope in numbered:
            store.apply_batch(view, topic, 0, [(offset, envelope)])
        store.apply_batch(view, topic, 0, numbered)  # redelivered: same offsets
        store.apply_batch(view, topic, 0, [(n + o, e) for o, e in numbered])  # re-published: new offsets

    def raw_twice(store: Any, view: Any) -> None:
        with store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            view.apply_batch(cur, list(envelopes))
            view.apply_batch(cur, list(envelopes))

    expected = build(once)
    assert any(expected.values()), "the envelopes built no rows: nothing was checked"
    assert build(one_by_one_then_again) == expected, "redelivery (or one message per batch) changed the view"
    assert build(raw_twice) == expected, "applying the messages twice over changed the view"
    return expected


def check_batched(conninfo: str, make_view: Any, envelopes: list[Any], topic: str = "t") -> dict[str, list[Any]]:
    """Assert a view's batch gives exactly the rows of its messages applied one by one; returns those rows.

    Compared twice: through the projector (version claims drop duplicates and stale versions), and the
    view's own SQL alone (its per-row guards must then hold up against the duplicates and stale versions
    themselves). `envelopes` should repeat keys, duplicate messages and deliver some versions late.
    """
    def build(apply: Any) -> dict[str, list[Any]]:
        return _rows_after(conninfo, make_view, apply, "batched")

    numbered = list(enumerate(envelopes))

    def raw(batches: list[list[Any]]) -> Any:
        def apply(store: Any, view: Any) -> None:
            for batch in batches:
                with store.connect() as conn, conn.transaction(), conn.cursor() as cur:
                    view.apply_batch(cur, batch)
        return apply

    one_by_one = build(lambda store, view: [store.apply_batch(view, topic, 0, [m]) for m in numbered])
    assert any(one_by_one.values()), "the envelopes built no rows: nothing was checked"
    assert build(lambda store, view: store.apply_batch(view, topic, 0, numbered)) == one_by_one, \
        "one batch through the projector differs from one message per batch"
    raw_one_by_one = build(raw([[e] for e in envelopes]))
    assert build(raw([list(envelopes)])) == raw_one_by_one, "the view's SQL alone: the batch differs"
    return one_by_one


def mixed_batch(stories: list[list[Any]], seed: int = 8) -> list[Any]:
    """The stories' messages interleaved (each story's order kept), plus duplicates and late stale versions."""
    import random

    rng = random.Random(seed)
    queues = [list(s) for s in stories if s]
    out: list[Any] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    for envelope in rng.sample(out, k=max(1, len(out) // 5)):  # Kafka's redelivery, the relay's re-publish
        out.insert(rng.randrange(out.index(envelope) + 1, len(out) + 1), envelope)
    for story in stories:
        if len(story) > 1:  # an older version arriving after newer ones
            out.append(story[rng.randrange(len(story) - 1)])
    return out


def golden_story(types: list[str], aggregate: str, start: datetime | None = None, **ids: Any) -> list[Any]:
    """One aggregate's public events, from the contracts' golden samples: versions 1.., a second apart.

    `ids` override payload fields (booking_id=..., event_id=...); `aggregate` names the field that is the
    aggregate id (the envelope's aggregate_id, and the field the samples share).
    """
    import json
    from pathlib import Path

    import contracts
    from contracts import Envelope

    golden = Path(contracts.__file__).resolve().parents[2] / "tests" / "golden"
    start = start or datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    story = []
    for version, name in enumerate(types, start=1):
        data = json.loads((golden / f"{name}.v1.json").read_text())
        payload = {**data["payload"], **{k: str(v) for k, v in ids.items() if k in data["payload"]}}
        data.update(payload=payload, aggregate_id=str(ids[aggregate]), aggregate_version=version,
                    event_id=str(uuid4()), occurred_at=(start + timedelta(seconds=version)).isoformat())
        story.append(Envelope.model_validate(data))
    return story
