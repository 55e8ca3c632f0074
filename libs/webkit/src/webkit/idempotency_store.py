"""The `idempotency_keys` table in the service's own database: claims, stored answers, expiry."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from spine.db import FailFastPool

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller      text        NOT NULL,     -- the authenticated subject (a user id), never a credential
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    status      integer,                      -- NULL while the first request is still running
    headers     jsonb,
    body        bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
"""
PURGE = "DELETE FROM idempotency_keys WHERE created_at < now() - %s"


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to a keyed request, as sent."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


Claim = StoredResponse | Literal["claimed", "mismatch", "in_flight"]


class IdempotencyStore:
    """Synchronous store (called from worker threads so the event loop never waits on PostgreSQL)."""

    def __init__(self, conninfo: str, *, ttl: timedelta, in_flight_timeout: timedelta) -> None:
        self.conninfo = conninfo
        self.ttl = ttl
        self.in_flight_timeout = in_flight_timeout
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        # Claims whose release failed (the database was down when their request failed): released before the
        # next claim, so a client's retry after the outage runs instead of meeting 409 "in progress".
        self._unreleased: set[tuple[str, str]] = set()

    def _connection(self):
        with self._lock:
            if self._pool is None:
                # Opened lazily: the app object is often built long before the database is reachable.
                # Checked connections survive a PostgreSQL restart; failing fast, a claim during one is a 503.
                pool = FailFastPool(self.conninfo, min_size=1, max_size=4, open=True, name="idempotency",
                                    check=ConnectionPool.check_connection)
                with pool.connection() as conn:
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext('idempotency_keys'))")
                    conn.execute(SCHEMA)
                    conn.execute(PURGE, (self.ttl,))
                self._pool = pool
        return self._pool.connection()

    def purge(self) -> int:
        """Delete expired keys (the API does this at start-up and then periodically); returns how many."""
        with self._connection() as conn:
            return conn.execute(PURGE, (self.ttl,)).rowcount

    def claim(self, caller: str, key: str, fingerprint: str) -> Claim:
        """Take the key for this request, or say what the earlier request with it left behind."""
        with self._connection() as conn:
            self._release_pending(conn)
            # An expired key, or a claim whose process died mid-request, may be taken afresh.
            conn.execute(
                "DELETE FROM idempotency_keys WHERE caller = %s AND key = %s AND (created_at < now() - %s"
                " OR (status IS NULL AND created_at < now() - %s))",
                (caller, key, self.ttl, self.in_flight_timeout))
            inserted = conn.execute(
                "INSERT INTO idempotency_keys (caller, key, fingerprint) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING RETURNING 1", (caller, key, fingerprint)).fetchone()
            if inserted:
                return "claimed"
            row = conn.execute("SELECT fingerprint, status, headers, body FROM idempotency_keys"
                               " WHERE caller = %s AND key = %s", (caller, key)).fetchone()
        if row is None:  # released between our insert and select: the caller may simply retry
            return "in_flight"
        stored_fingerprint, status, headers, body = row
        if stored_fingerprint != fingerprint:
            return "mismatch"
        if status is None:
            return "in_flight"
        return StoredResponse(status, [tuple(h) for h in headers], bytes(body))

    def complete(self, caller: str, key: str, response: StoredResponse) -> None:
        """Keep the answer for replays."""
        with self._connection() as conn:
            conn.execute("UPDATE idempotency_keys SET status = %s, headers = %s, body = %s"
                         " WHERE caller = %s AND key = %s",
                         (response.status, Jsonb([list(h) for h in response.headers]), response.body, caller, key))

    def release(self, caller: str, key: str) -> None:
        """Forget a claim whose request failed on our side, so the client's retry runs again (if the database
        cannot be reached now, as soon as it can: before this store's next claim)."""
        with self._lock:
            self._unreleased.add((caller, key))
        try:
            with self._connection() as conn:
                self._release_pending(conn)
        except psycopg.OperationalError:
            pass

    def _release_pending(self, conn: psycopg.Connection) -> None:
        with self._lock:
            pending = list(self._unreleased)
        for caller, key in pending:
            conn.execute("DELETE FROM idempotency_keys WHERE caller = %s AND key = %s AND status IS NULL",
                         (caller, key))
            with self._lock:
                self._unreleased.discard((caller, key))

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
