"""Per-key token buckets kept in the service's own PostgreSQL database (no Redis to run).

Each bucket holds up to `burst` tokens and regains `rate` tokens a second; a request takes one. Taking is
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: the row lock orders concurrent requests of the
same key, so two API replicas never hand out the same token, and different keys never wait on each other.
A batch of takes (`take_many`, the bookings writer's) is two statements for all its keys.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    key        text             PRIMARY KEY,
    tokens     double precision NOT NULL,   -- left after the last request (refilled lazily, on the next one)
    allowed    boolean          NOT NULL,   -- whether the last request got a token
    updated_at timestamptz      NOT NULL
)
"""

# The level a bucket has refilled to by now, computed from the stored row (`b`).
_LEVEL = ("LEAST(%(burst)s::double precision,"
          " b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * %(rate)s)")

TAKE = f"""
INSERT INTO {{table}} AS b (key, tokens, allowed, updated_at)
VALUES (%(key)s, %(burst)s - 1, true, now())
ON CONFLICT (key) DO UPDATE SET
    tokens     = CASE WHEN {_LEVEL} >= 1 THEN {_LEVEL} - 1 ELSE {_LEVEL} END,
    allowed    = {_LEVEL} >= 1,
    updated_at = now()
RETURNING allowed, tokens
"""

# Many takes at once: every key's bucket exists (a full one for a new key), then each distinct key gives
# `n` takes in one UPDATE. Takes at one moment (`now()` is the transaction's) succeed while a whole token is
# left, so a key's first floor(level) takes succeed: the same answers as `n` single takes, in 2 statements.
ENSURE_MANY = """
INSERT INTO {table} (key, tokens, allowed, updated_at)
SELECT key, %(burst)s, true, now() FROM unnest(%(keys)s::text[]) AS k(key) ORDER BY key
ON CONFLICT (key) DO NOTHING
"""

TAKE_MANY = f"""
WITH asked AS (SELECT * FROM unnest(%(keys)s::text[], %(counts)s::int[]) AS a(key, n)),
locked AS (
    SELECT b.key, asked.n, {_LEVEL} AS level
    FROM {{table}} AS b JOIN asked USING (key) ORDER BY b.key FOR UPDATE OF b
)
UPDATE {{table}} AS t SET
    tokens     = locked.level - LEAST(locked.n, floor(locked.level)),
    allowed    = locked.n <= floor(locked.level),
    updated_at = now()
FROM locked WHERE t.key = locked.key
RETURNING t.key, locked.level
"""


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go ahead, and if not, in how many seconds the next token is due."""

    allowed: bool
    retry_after: float = 0.0


class TokenBuckets:
    """Token buckets in one table of a service's database (created on first use by `setup`)."""

    def __init__(self, pool: ConnectionPool, table: str, *, rate_per_second: float, burst: int) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.pool = pool
        self.table = sql.Identifier(table)
        self.rate = rate_per_second
        self.burst = burst

    def setup(self) -> TokenBuckets:
        """Create the table if it is missing (safe to run from every replica: on a fresh database two processes
        racing through CREATE TABLE IF NOT EXISTS make the loser fail, so they take turns)."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('webkit_rate_limit_schema'))")
            conn.execute(sql.SQL(SCHEMA).format(table=self.table))
        return self

    def take(self, key: str) -> Verdict:
        """Take one token from `key`'s bucket (a full bucket the first time)."""
        with self.pool.connection() as conn:
            row = conn.execute(sql.SQL(TAKE).format(table=self.table),
                               {"key": key, "burst": self.burst, "rate": self.rate}).fetchone()
        return self._verdict(row)

    def take_many(self, keys: Sequence[str]) -> list[Verdict]:
        """One token from each key's bucket, in order (a key may repeat), in one pipelined round trip of two
        statements, whatever the number of keys (rows locked in key order: batches of two replicas never
        deadlock)."""
        if not keys:
            return []
        counts = Counter(keys)
        params = {"keys": list(counts), "counts": list(counts.values()), "burst": self.burst, "rate": self.rate}
        with self.pool.connection() as conn, conn.pipeline():
            conn.execute(sql.SQL(ENSURE_MANY).format(table=self.table), params)
            levels = {row[0] if not isinstance(row, dict) else row["key"]:
                      row[1] if not isinstance(row, dict) else row["level"]
                      for row in conn.execute(sql.SQL(TAKE_MANY).format(table=self.table), params).fetchall()}
        verdicts, taken = [], Counter[str]()
        for key in keys:
            level = levels[key]
            taken[key] += 1
            if taken[key] <= math.floor(level):
                verdicts.append(Verdict(True))
            else:  # what a single take would see then: the fraction of a token left
                verdicts.append(Verdict(False, retry_after=(1 - (level - math.floor(level))) / self.rate))
        return verdicts

    def _verdict(self, row: Any) -> Verdict:
        allowed, tokens = (row["allowed"], row["tokens"]) if isinstance(row, dict) else row
        if allowed:
            return Verdict(True)
        return Verdict(False, retry_after=(1 - tokens) / self.rate)
