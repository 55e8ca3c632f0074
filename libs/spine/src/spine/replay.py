"""Rebuild a view from Kafka (offset 0) while the system keeps serving; verify a live view against a rebuild.

`replay` builds the view into a shadow schema (`replay_<view>`: the same table names, reached through the
connection's search_path, with its own positions), up to the topics' end. Then it takes the view's
advisory lock exclusively — the live projector takes it shared for each batch, so it pauses between two
batches — catches the shadow up to the live positions, and in one transaction moves the live tables out,
the shadow tables in, and the shadow's positions and versions over the live ones. A request sees either
the old view or the new one, never a half-built one; the live projector goes on from the swapped positions.

`verify` builds into a scratch schema (`verify_<view>`) up to the live positions, catches up under the
same lock, and compares every row (by primary key) with the live tables: the differences, empty if equal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from contracts import Envelope
from spine.db import scalar
from spine.projector import ProjectionStore, view_lock_key
from spine.settings import InfraSettings
from spine.views import View

log = logging.getLogger("spine.replay")

Positions = dict[tuple[str, int], int]  # (topic, partition) → next offset
Progress = Callable[[int, int], None]  # (messages done, messages in all)


@dataclass
class Difference:
    """One row that differs between the live view and its rebuild (None: the row is missing there)."""

    table: str
    key: Any
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def describe(self) -> str:
        if self.live is None:
            return f"{self.table} {self.key}: missing in the live view (rebuild has {self.rebuilt})"
        if self.rebuilt is None:
            return f"{self.table} {self.key}: only in the live view ({self.live})"
        changed = {k: (self.live.get(k), self.rebuilt.get(k)) for k in sorted({*self.live, *self.rebuilt})
                   if self.live.get(k) != self.rebuilt.get(k)}
        return f"{self.table} {self.key}: " + ", ".join(f"{k} live={a!r} rebuilt={b!r}"
                                                        for k, (a, b) in changed.items())


@dataclass
class Outcome:
    view: str
    messages: int = 0
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def live_schema(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        return str(scalar(conn.execute("SELECT current_schema()")))


def stored_positions(conninfo: str, name: str, schema: str) -> Positions:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(f'SELECT topic, partition, next_offset FROM "{schema}".projection_positions'
                            " WHERE projection = %s", (name,)).fetchall()
    return {(t, p): o for t, p, o in rows}


async def end_offsets(settings: InfraSettings, topics: tuple[str, ...]) -> Positions:
    """Each partition's end offset now (where a rebuild to "the present" stops)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                **settings.kafka_client_options())
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not tps:  # metadata not fetched yet for these topics
            await consumer._client.force_metadata_update()  # noqa: SLF001
            tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): o for tp, o in ends.items()}


async def consume_into(settings: InfraSettings, view: View, store: ProjectionStore, start: Positions,
                       target: Positions, progress: Progress | None = None, *, max_records: int = 20_000) -> int:
    """Apply every message from `start` (default 0) up to `target` (exclusive) per partition; returns how many.

    Reads partitions directly (no consumer group). Fetching the next batch overlaps applying this one.
    A message the view cannot apply is skipped, as the live consumer dead-letters it.
    """
    todo = {tp: end for tp, end in target.items() if start.get(tp, 0) < end}
    total = sum(end - start.get(tp, 0) for tp, end in todo.items())
    if not todo:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
                                **settings.kafka_client_options())
    await consumer.start()
    done = 0
    try:
        tps = {TopicPartition(t, p): end for (t, p), end in todo.items()}
        consumer.assign(list(tps))
        for tp in tps:
            consumer.seek(tp, start.get((tp.topic, tp.partition), 0))
        pending: asyncio.Future | None = None
        while tps:
            batches = await consumer.getmany(*tps, timeout_ms=500, max_records=max_records)
            work = []
            for tp, records in batches.items():
                end = tps.get(tp)
                if end is None:
                    continue
                records = [r for r in records if r.offset < end]
                if records:
                    work.append((tp, [(r.offset, _decode(r.value)) for r in records]))
            for tp, end in list(tps.items()):
                if await consumer.position(tp) >= end:
                    del tps[tp]
                    consumer.pause(tp)
            if pending is not None:
                done += await pending
                if progress:
                    progress(done, total)
            # Partitions are independent (own positions, own transactions): apply them side by side, so one's
            # database round trips overlap another's Python work.
            pending = asyncio.ensure_future(_apply_partitions(store, view, work))
        if pending is not None:
            done += await pending
            if progress:
                progress(done, total)
    finally:
        await consumer.stop()
    return done


def _decode(raw: bytes | None) -> Envelope | None:
    try:
        return Envelope.from_bytes(raw or b"")
    except (ValidationError, ValueError, TypeError):
        return None


async def _apply_partitions(store: ProjectionStore, view: View, work: list[tuple[TopicPartition, list]]) -> int:
    done = await asyncio.gather(*(asyncio.to_thread(_apply_all, store, view, [item]) for item in work))
    return sum(done)


def _apply_all(store: ProjectionStore, view: View, work: list[tuple[TopicPartition, list]]) -> int:
    count = 0
    for tp, batch in work:
        try:
            store.apply_batch(view, tp.topic, tp.partition, batch)
        except Exception:  # noqa: BLE001 — isolate what the live consumer would have dead-lettered
            for offset, envelope in batch:
                try:
                    store.apply_batch(view, tp.topic, tp.partition, [(offset, envelope)])
                except Exception as exc:  # noqa: BLE001
                    log.warning("%s: skipping %s[%s]@%s: %s", view.name, tp.topic, tp.partition, offset, exc)
                    store.apply_batch(view, tp.topic, tp.partition, [(offset, None)])
        count += len(batch)
    return count


class Rebuild:
    """A view built from offset 0 into its own schema of the service database."""

    def __init__(self, view: View, conninfo: str, schema: str, settings: InfraSettings | None = None):
        self.view, self.conninfo, self.schema = view, conninfo, schema
        self.settings = settings or InfraSettings()
        self.live = live_schema(conninfo)
        self.store = ProjectionStore(conninfo, schema=schema, claims_in_memory=True)

    def create(self) -> None:
        ProjectionStore(self.conninfo).setup(self.view)  # the live view as the service would create it
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        self.store.setup(self.view)

    def drop(self) -> None:
        self.store.close()
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    async def catch_up(self, target: Positions, progress: Progress | None = None) -> int:
        start = stored_positions(self.conninfo, self.view.name, self.schema)
        done = await consume_into(self.settings, self.view, self.store, start, target, progress)
        await asyncio.to_thread(self.store.flush_claims, self.view)
        return done

    def live_positions(self) -> Positions:
        return stored_positions(self.conninfo, self.view.name, self.live)

    def paused_live(self) -> psycopg.Connection:
        """A connection holding the view's lock exclusively: the live projector waits between batches."""
        conn = psycopg.connect(self.conninfo, autocommit=True)
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (view_lock_key(self.view.name),))
        return conn

    def swap(self, conn: psycopg.Connection) -> None:
        """Shadow tables and positions in, live ones out, in one transaction."""
        name, live, shadow, old = self.view.name, self.live, self.schema, f"{self.schema}_old"
        with conn.transaction():
            conn.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{old}"')
            for table in self.view.tables:
                conn.execute(f'ALTER TABLE IF EXISTS "{live}"."{table.name}" SET SCHEMA "{old}"')
                conn.execute(f'ALTER TABLE "{shadow}"."{table.name}" SET SCHEMA "{live}"')
            for positions in ("projection_positions", "projection_versions"):
                conn.execute(f'DELETE FROM "{live}".{positions} WHERE projection = %s', (name,))
                conn.execute(f'INSERT INTO "{live}".{positions} SELECT * FROM "{shadow}".{positions}'
                             " WHERE projection = %s", (name,))
            conn.execute(f'DROP SCHEMA "{old}" CASCADE')

    def differences(self, conn: psycopg.Connection) -> list[Difference]:
        """Every row that differs between the live tables and these, by primary key."""
        found: list[Difference] = []
        for table in self.view.tables:
            key = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            row = "to_jsonb(t)" + "".join(f" - '{c}'" for c in sorted(self.view.volatile_columns)
                                          if c in table.columns)
            rows = conn.execute(
                f"SELECT coalesce(l.k, r.k), l.row, r.row FROM"
                f' (SELECT jsonb_build_array({key}) AS k, {row} AS row FROM "{self.live}"."{table.name}" t) l'
                f' FULL JOIN (SELECT jsonb_build_array({key}) AS k, {row} AS row'
                f' FROM "{self.schema}"."{table.name}" t) r ON l.k = r.k'
                " WHERE l.row IS DISTINCT FROM r.row ORDER BY 1").fetchall()
            found += [Difference(table.name, k[0] if len(k) == 1 else k, live_row, rebuilt_row)
                      for k, live_row, rebuilt_row in rows]
        return found


async def replay(view: View, conninfo: str, settings: InfraSettings | None = None,
                 progress: Progress | None = None) -> Outcome:
    """Rebuild `view` from offset 0 into a shadow schema and swap it in atomically (see the module doc)."""
    rebuild = Rebuild(view, conninfo, f"replay_{view.name}", settings)
    began = time.monotonic()
    rebuild.create()
    try:
        ends = await end_offsets(rebuild.settings, view.topics)
        target = {tp: max(o, rebuild.live_positions().get(tp, 0)) for tp, o in ends.items()}
        done = await rebuild.catch_up(target, progress)
        lock = await asyncio.to_thread(rebuild.paused_live)
        try:
            shadow = stored_positions(conninfo, view.name, rebuild.schema)
            live = rebuild.live_positions()
            done += await rebuild.catch_up({tp: max(o, shadow.get(tp, 0)) for tp, o in live.items()})
            rebuild.swap(lock)
        finally:
            lock.close()  # ends the session: the lock goes with it
    finally:
        rebuild.drop()
    return Outcome(view.name, done, time.monotonic() - began)


async def verify(view: View, conninfo: str, settings: InfraSettings | None = None,
                 progress: Progress | None = None) -> Outcome:
    """Rebuild `view` into a scratch schema at the live positions and compare it with the live view."""
    rebuild = Rebuild(view, conninfo, f"verify_{view.name}", settings)
    began = time.monotonic()
    rebuild.create()
    try:
        done = await rebuild.catch_up(rebuild.live_positions(), progress)
        lock = await asyncio.to_thread(rebuild.paused_live)
        try:
            done += await rebuild.catch_up(rebuild.live_positions())
            differences = rebuild.differences(lock)
        finally:
            lock.close()
    finally:
        rebuild.drop()
    return Outcome(view.name, done, time.monotonic() - began, differences)
