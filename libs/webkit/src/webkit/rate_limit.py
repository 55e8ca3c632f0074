"""Per-key token buckets kept in the service's own PostgreSQL database (no Redis to run).

Each bucket holds up to `burst` tokens and regains `rate` tokens a second; a request takes one. Taking is
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: the row lock orders concurrent requests of the
same key, so two API replicas never hand out the same token, and different keys never wait on each other.
"""

from __future__ import annotations

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
        """One token from each key's bucket, in order (a key may repeat), in one pipelined round trip."""
        if not keys:
            return []
        statement = sql.SQL(TAKE).format(table=self.table)
        with self.pool.connection() as conn, conn.pipeline():
            cursors = [conn.execute(statement, {"key": key, "burst": self.burst, "rate": self.rate})
                       for key in keys]
            return [self._verdict(cur.fetchone()) for cur in cursors]

    def _verdict(self, row: Any) -> Verdict:
        allowed, tokens = (row["allowed"], row["tokens"]) if isinstance(row, dict) else row
        if allowed:
            return Verdict(True)
        return Verdict(False, retry_after=(1 - tokens) / self.rate)
