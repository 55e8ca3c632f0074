"""Read models built from Kafka topics, exactly once in effect.

Each projection owns tables in its service's database. The runner applies a message and records its
(topic, partition, offset) in `projection_positions` in the same transaction: a redelivered message
finds its offset already recorded and changes nothing. The relay may also re-publish an event after a
crash (same event, new offset): the last applied `aggregate_version` per aggregate, kept in
`projection_versions`, makes that a no-op too. Rebuilding is `reset()` plus replay from offset 0.

A message the projection cannot apply (a value its columns cannot hold, a payload breaking its
contract) is not retried forever and does not hide the aggregate's row: the consumer isolates it,
sends it to `<topic>.dlq` with the error, raises a `dead_lettered` alarm and records its position;
the row keeps its last good state and later messages go on updating it (see `spine.consumer`).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager

import psycopg
from psycopg import Cursor
from psycopg_pool import ConnectionPool

from contracts import Envelope
from spine.consumer import Sink

log = logging.getLogger("spine.projector")

POSITIONS_DDL = """
CREATE TABLE IF NOT EXISTS projection_positions (
    projection text NOT NULL,
    topic text NOT NULL,
    partition int NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (projection, topic, partition)
);
CREATE TABLE IF NOT EXISTS projection_versions (
    projection text NOT NULL,
    aggregate_id text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (projection, aggregate_id)
)"""

# Returns a row only when the event is newer than the last one applied for its aggregate.
CLAIM_VERSION = """
INSERT INTO projection_versions VALUES (%s, %s, %s)
ON CONFLICT (projection, aggregate_id) DO UPDATE SET version = EXCLUDED.version
WHERE projection_versions.version < EXCLUDED.version
RETURNING 1"""


class SqlProjection(ABC):
    """A read model: tables in the service's database, kept up to date from topics."""

    name: str
    topics: tuple[str, ...]
    # Batches run in psycopg pipeline mode (statements sent without waiting for each answer). Off by default:
    # there, `cur.rowcount` is unknown until a sync, and one execute may not hold several statements.
    pipelined: bool = False

    @abstractmethod
    def create_schema(self, cur: Cursor) -> None:
        """Create the projection's tables if they do not exist."""

    @abstractmethod
    def reset(self, cur: Cursor) -> None:
        """Empty the projection's tables (before a rebuild)."""

    @abstractmethod
    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        """Apply one message; ignore types the projection does not use."""

    def apply_messages(self, cur: Cursor, topic: str, partition: int,
                       messages: list[tuple[int, Envelope]]) -> None:
        """The store's one entry: the new messages of a batch (one partition, offset order). Override it only
        to keep each message's source position (the audit log); otherwise override `apply_batch`."""
        self.apply_batch(cur, [envelope for _, envelope in messages])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """Apply new messages of one partition in order; a view may merge them into multi-row statements."""
        for envelope in envelopes:
            self.apply(cur, envelope)

    def install(self, cur: Cursor) -> bool:
        """Create the tables at start-up; True if they were (re)made empty (`spine.views.View` versions them)."""
        self.create_schema(cur)
        return False


def view_lock_key(name: str, schema: str | None = None) -> str:
    """Advisory lock of one view: batches take it shared, a replay's swap takes it exclusively.

    A shadow being built in another schema has its own lock (its catch-up runs while the live one is held).
    """
    return f"view:{schema}:{name}" if schema else f"view:{name}"


class ProjectionStore:
    """Positions and transactions of the projections in one database."""

    def __init__(self, conninfo: str, schema: str | None = None, *, claims_in_memory: bool = False):
        self.conninfo = conninfo
        # A replay builds into another schema with the same table names: every statement is unqualified.
        self.schema = schema
        self._options = f"-c search_path={schema}" if schema else None
        # A rebuild is the only writer of its tables: it keeps the last version per aggregate in memory and
        # stores them once (`flush_claims`), instead of updating every aggregate's row in every batch.
        self._claims: dict[tuple[str, str], int] | None = {} if claims_in_memory else None
        self._claims_lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()

    def connect(self) -> AbstractContextManager[psycopg.Connection]:
        """A pooled connection: opening one per batch (authentication, a new backend) costs more than the batch."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(self.conninfo, min_size=1, max_size=4, open=True,
                                            kwargs={"options": self._options} if self._options else None,
                                            check=ConnectionPool.check_connection,  # survive a PG restart
                                            name=f"projections:{self.conninfo.split('dbname=')[-1].split()[0]}")
        return self._pool.connection()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def setup(self, projection: SqlProjection) -> None:
        """Create the positions table and the projection's own tables (once: a plain connection, no pool)."""
        with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('projection_schema'))")
            cur.execute(POSITIONS_DDL)
            if projection.install(cur) and self.schema is None:
                log.warning("view %s: new schema version, rebuilding from offset 0", projection.name)

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, options=self._options) if self._options else psycopg.connect(
            self.conninfo)

    def next_offsets(self, projection: SqlProjection, topic: str) -> dict[int, int]:
        """Partition → the next offset to read, for partitions this projection has seen."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT partition, next_offset FROM projection_positions WHERE projection=%s AND topic=%s",
                (projection.name, topic),
            ).fetchall()
        return {p: o for p, o in rows}

    def apply_batch(self, projection: SqlProjection, topic: str, partition: int,
                    messages: list[tuple[int, Envelope | None]]) -> int:
        """Apply messages of one partition (offset order) in one transaction; returns how many were new.

        `None` envelopes (unparseable, already sent to the DLQ) only advance the position.
        """
        return self.apply_poll(projection, {(topic, partition): messages})

    def apply_poll(self, projection: SqlProjection,
                   batches: dict[tuple[str, int], list[tuple[int, Envelope | None]]]) -> int:
        """Apply the batches of one poll (every partition's, each in offset order) and all their positions in
        one transaction: one commit per poll instead of one per partition. Returns how many were new."""
        claims: list[_VersionClaims] = []
        with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
            # Shared: batches of several partitions run together; a replay's swap waits for them and
            # holds them off (exclusive) while it moves its shadow tables in.
            cur.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))",
                        (view_lock_key(projection.name, self.schema),))
            done = 0
            for (topic, partition), messages in sorted(batches.items()):  # one lock order for every poll
                done += self._apply_partition(conn, cur, projection, topic, partition, messages, claims)
        with self._claims_lock:
            for is_new in claims:
                if isinstance(is_new, _MemoryClaims):
                    is_new.committed()
        return done

    def _apply_partition(self, conn: psycopg.Connection, cur: Cursor, projection: SqlProjection, topic: str,
                         partition: int, messages: list[tuple[int, Envelope | None]],
                         claims: list[_VersionClaims]) -> int:
        cur.execute(
            "SELECT next_offset FROM projection_positions WHERE projection=%s AND topic=%s AND partition=%s "
            "FOR UPDATE",
            (projection.name, topic, partition),
        )
        row = cur.fetchone()
        next_offset = row[0] if row else 0
        fresh = [(o, e) for o, e in messages if o >= next_offset]
        if not fresh:
            return 0
        if self._claims is None:
            is_new: _VersionClaims = _VersionClaims(cur, projection, [e for _, e in fresh if e is not None])
        else:
            is_new = _MemoryClaims(self._claims, projection, claims)
        claims.append(is_new)
        new = [(o, e) for o, e in fresh if e is not None and is_new(e)]
        # Pipelined: the batch's statements go out without waiting for each answer (errors still
        # surface before the commit, which rolls the whole batch back).
        if projection.pipelined:
            with conn.pipeline():
                projection.apply_messages(cur, topic, partition, new)
                is_new.record()
        else:
            projection.apply_messages(cur, topic, partition, new)
            is_new.record()
        cur.execute(
            "INSERT INTO projection_positions VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
            (projection.name, topic, partition, fresh[-1][0] + 1),
        )
        return len(fresh)

    def flush_claims(self, projection: SqlProjection) -> None:
        """Store the in-memory versions of a rebuild (before it is compared or swapped in)."""
        if not self._claims:
            return
        with self._claims_lock:
            ids = [a for (name, a) in self._claims if name == projection.name]
            versions = [self._claims[(projection.name, a)] for a in ids]
        with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO projection_versions SELECT %s, i, v FROM unnest(%s::text[], %s::bigint[]) AS t(i, v) "
                "ON CONFLICT (projection, aggregate_id) DO UPDATE SET version = EXCLUDED.version "
                "WHERE projection_versions.version < EXCLUDED.version",
                (projection.name, ids, versions),
            )

    def reset(self, projection: SqlProjection) -> None:
        """Forget everything the projection built, so the next run replays from offset 0."""
        with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
            projection.reset(cur)
            cur.execute("DELETE FROM projection_positions WHERE projection=%s", (projection.name,))
            cur.execute("DELETE FROM projection_versions WHERE projection=%s", (projection.name,))


class _VersionClaims:
    """Says which envelopes of a batch are new (not an event already applied, re-published by the relay).

    Same rule as claiming each event's version one statement at a time (CLAIM_VERSION), but with two
    statements per batch: read the batch's aggregates' last versions (locked), decide in memory, then
    store the highest version per aggregate. A rush puts hundreds of messages in a batch, and a
    statement per message was most of a projection's cost. Commands (version 0) always pass.
    """

    def __init__(self, cur: Cursor, projection: SqlProjection, envelopes: list[Envelope]):
        self.cur = cur
        self.projection = projection
        ids = sorted({e.aggregate_id for e in envelopes if e.aggregate_version > 0})
        self.last: dict[str, int] = {}
        self.claimed: dict[str, int] = {}
        if ids:
            cur.execute(
                "SELECT aggregate_id, version FROM projection_versions WHERE projection=%s AND aggregate_id = ANY(%s)"
                " ORDER BY aggregate_id FOR UPDATE",
                (projection.name, ids),
            )
            self.last = {aggregate_id: version for aggregate_id, version in cur.fetchall()}

    def __call__(self, envelope: Envelope) -> bool:
        if envelope.aggregate_version <= 0:
            return True
        if envelope.aggregate_version <= self.last.get(envelope.aggregate_id, -1):
            return False
        self.last[envelope.aggregate_id] = self.claimed[envelope.aggregate_id] = envelope.aggregate_version
        return True

    def record(self) -> None:
        """Store the claimed versions (in the batch's transaction)."""
        if not self.claimed:
            return
        ids, versions = zip(*self.claimed.items(), strict=True)
        self.cur.execute(
            "INSERT INTO projection_versions SELECT %s, i, v FROM unnest(%s::text[], %s::bigint[]) AS t(i, v) "
            "ON CONFLICT (projection, aggregate_id) DO UPDATE SET version = EXCLUDED.version "
            "WHERE projection_versions.version < EXCLUDED.version",
            (self.projection.name, list(ids), list(versions)),
        )


class _MemoryClaims(_VersionClaims):
    """`_VersionClaims` over a rebuild's in-memory versions; merged into them once the batch committed."""

    def __init__(self, known: dict[tuple[str, str], int], projection: SqlProjection,
                 earlier: list[_VersionClaims] | None = None):
        self.known, self.projection = known, projection
        self.claimed: dict[str, int] = {}
        self.earlier = list(earlier or ())  # this poll's other partitions, not committed yet

    def __call__(self, envelope: Envelope) -> bool:
        if envelope.aggregate_version <= 0:
            return True
        last = self.claimed.get(envelope.aggregate_id) or max(
            [c.claimed.get(envelope.aggregate_id, -1) for c in self.earlier]
            + [self.known.get((self.projection.name, envelope.aggregate_id), -1)])
        if envelope.aggregate_version <= last:
            return False
        self.claimed[envelope.aggregate_id] = envelope.aggregate_version
        return True

    def record(self) -> None:
        """Nothing to write in the batch's transaction (see `committed`)."""

    def committed(self) -> None:
        for aggregate_id, version in self.claimed.items():
            self.known[(self.projection.name, aggregate_id)] = version


def apply_in_transaction(conninfo: str, projection: SqlProjection, envelopes: Iterable[Envelope]) -> None:
    """Apply envelopes directly, without Kafka or positions (tests of a projection's SQL).

    The versions applied are recorded, so a list's read-your-writes (`?after=`) sees them as a worker's would.
    """
    store = ProjectionStore(conninfo)
    envelopes = list(envelopes)
    try:
        store.setup(projection)
        with store.connect() as conn, conn.transaction(), conn.cursor() as cur:
            projection.apply_batch(cur, envelopes)
            claims = _VersionClaims(cur, projection, [])
            for envelope in envelopes:
                if envelope.aggregate_version > claims.claimed.get(envelope.aggregate_id, 0):
                    claims.claimed[envelope.aggregate_id] = envelope.aggregate_version
            claims.record()
    finally:
        store.close()


class ProjectionSink(Sink):
    """Feeds a projection from Kafka through a `spine.consumer.Subscription`."""

    def __init__(self, projection: SqlProjection, store: ProjectionStore):
        self.projection = projection
        self.store = store
        self.name = projection.name
        self.topics = projection.topics

    def next_offsets(self, topic: str) -> dict[int, int]:
        return self.store.next_offsets(self.projection, topic)

    def is_recorded(self, topic: str, partition: int, offset: int) -> bool:
        return self.next_offsets(topic).get(partition, 0) > offset

    def apply(self, topic: str, partition: int, batch: list[tuple[int, Envelope | None]]) -> None:
        self.store.apply_batch(self.projection, topic, partition, batch)

    def apply_poll(self, batches: dict[tuple[str, int], list[tuple[int, Envelope | None]]]) -> None:
        self.store.apply_poll(self.projection, batches)
