"""Read models against a rebuild: replay a projection's topic from offset 0 into a scratch database and
compare its table with the live one, row for row (DESIGN §7: a read model rebuilt from the streams equals
the live one). The rebuild uses the projection's own code and spine's ProjectionStore, as `reset()` plus a
replay would, but beside the live view instead of over it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import psycopg

from contracts import Envelope, topics
from spine.settings import InfraSettings


def _projection(name: str):
    """The projection (as its worker builds it), its table and the table's key column."""
    from bookings_service.projections.bookings_view import BookingsView
    from events_service.projections.catalogue import CatalogueProjection
    from payments_service.projections.payments_view import PaymentsView

    return {"catalogue": (CatalogueProjection(topics.EVENTS), "catalogue", "event_id"),
            "bookings_view": (BookingsView(topics.BOOKINGS), "bookings_view", "booking_id"),
            "payments_view": (PaymentsView(topics.PAYMENTS), "payments_view", "payment_id")}[name]


def conninfo(env: dict[str, str], database: str) -> str:
    return (f"host={env.get('POSTGRES_HOST', '127.0.0.1')} port={env['POSTGRES_PORT']} "
            f"user={env.get('POSTGRES_USER', 'eventplanner')} password={env.get('POSTGRES_PASSWORD', 'eventplanner')} "
            f"dbname={database}")


def read_positioned(bootstrap: str, topic: str) -> tuple[dict[int, list[tuple[int, Envelope | None]]], dict[int, int]]:
    """Every message of `topic` up to its current end, per partition in offset order, and the end offsets."""
    from aiokafka import AIOKafkaConsumer

    async def read():
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    auto_offset_reset="earliest", **InfraSettings().kafka_client_options())
        await consumer.start()
        try:
            partitions = sorted(consumer.assignment())
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            out: dict[int, list[tuple[int, Envelope | None]]] = {tp.partition: [] for tp in partitions}
            pending = {tp for tp in partitions if ends[tp] > 0}
            while pending:
                for tp, records in (await consumer.getmany(*pending, timeout_ms=1000)).items():
                    for r in records:
                        if r.offset < ends[tp]:
                            try:
                                out[tp.partition].append((r.offset, Envelope.model_validate(json.loads(r.value))))
                            except ValueError:
                                out[tp.partition].append((r.offset, None))  # the live view skips it too
                    if records and records[-1].offset >= ends[tp] - 1:
                        pending.discard(tp)
            return out, {tp.partition: ends[tp] for tp in partitions}
        finally:
            await consumer.stop()

    return asyncio.run(read())


def caught_up(env: dict[str, str], database: str, name: str) -> bool:
    """True once the live projection has applied everything its topic holds (raises AssertionError before)."""
    projection, _, _ = _projection(name)
    (topic,) = projection.topics
    _, ends = read_positioned_ends(env["KAFKA_BOOTSTRAP_SERVERS"], topic)
    with psycopg.connect(conninfo(env, database)) as conn:
        done = dict(conn.execute("SELECT partition, next_offset FROM projection_positions "
                                 "WHERE projection=%s AND topic=%s", (name, topic)).fetchall())
    behind = {p: (done.get(p, 0), end) for p, end in ends.items() if done.get(p, 0) < end}
    assert not behind, f"{name} behind on {topic} (partition: applied, end): {behind}"
    return True


def read_positioned_ends(bootstrap: str, topic: str) -> tuple[None, dict[int, int]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def ends():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    **InfraSettings().kafka_client_options())
        await consumer.start()
        try:
            await consumer._client._wait_on_metadata(topic)  # noqa: SLF001 (partition list of one topic)
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            return {tp.partition: o for tp, o in (await consumer.end_offsets(parts)).items()}
        finally:
            await consumer.stop()

    return None, asyncio.run(ends())


def _apply(store, projection, topic: str, partition: int, batch: list[tuple[int, Envelope | None]]) -> None:
    """Apply a batch; a message the projection cannot apply is skipped as the live worker does (it goes to the
    DLQ and the position moves on), so a poison message makes both views alike, not the rebuild fail."""
    try:
        store.apply_batch(projection, topic, partition, batch)
    except psycopg.Error:
        for offset, envelope in batch:
            try:
                store.apply_batch(projection, topic, partition, [(offset, envelope)])
            except psycopg.Error:
                store.apply_batch(projection, topic, partition, [(offset, None)])


def _rows(conn: psycopg.Connection, table: str, key: str) -> dict[str, dict]:
    return {str(row[key]): row for (row,) in conn.execute(f"SELECT to_jsonb(t) FROM {table} t")}  # noqa: S608


def rebuild_equals_live(env: dict[str, str], database: str, name: str) -> dict[str, Any]:
    """Rebuild `name` from offset 0 in a scratch database; the rows that differ from the live view (none: {})."""
    from spine.projector import ProjectionStore

    projection, table, key = _projection(name)
    (topic,) = projection.topics
    scratch = f"rebuild_{name}_{uuid4().hex[:8]}"
    admin = conninfo(env, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {scratch}")
    try:
        store = ProjectionStore(conninfo(env, scratch))
        try:
            store.setup(projection)
            by_partition, _ = read_positioned(env["KAFKA_BOOTSTRAP_SERVERS"], topic)
            for partition, messages in by_partition.items():
                for i in range(0, len(messages), 500):
                    _apply(store, projection, topic, partition, messages[i:i + 500])
        finally:
            store.close()
        with psycopg.connect(conninfo(env, scratch)) as rebuilt, psycopg.connect(conninfo(env, database)) as live:
            want, got = _rows(rebuilt, table, key), _rows(live, table, key)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
    differences: dict[str, Any] = {}
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            differences[k] = {"rebuilt": want.get(k), "live": got.get(k)}
    return dict(list(differences.items())[:5]) | ({"...": f"{len(differences)} rows differ"}
                                                  if len(differences) > 5 else {})
